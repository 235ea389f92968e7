"""Unusable input to the reading commands: one clear line and the documented exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main


@pytest.fixture
def deep(tmp_path: Path) -> Path:
    path = tmp_path / "deep.json"
    path.write_text('{"@context": [], "a": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    return path


def nested_text(depth: int) -> str:
    """A JSON-LD-looking document whose objects nest ``depth`` levels (json.loads reads it)."""
    return '{"@context": [], "x": ' + '{"a": ' * depth + "{}" + "}" * depth + "}"


@pytest.fixture
def deep_but_parsable(tmp_path: Path) -> Path:
    path = tmp_path / "nested.json"
    path.write_text(nested_text(300), encoding="utf-8")
    return path


def test_validate_names_a_missing_file_before_any_work(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    # a folder is its own result, the other files checked: tests/test_cli_folder_among_files.py


@pytest.mark.parametrize("name", ["deep", "deep_but_parsable"])
def test_deeply_nested_json_is_refused_without_a_traceback(name: str, request: pytest.FixtureRequest,
                                                           tmp_path: Path) -> None:
    path: Path = request.getfixturevalue(name)
    validated = CliRunner().invoke(main, ["validate", str(path)])
    assert validated.exit_code == 1 and "nested deeper than 64 levels" in validated.output, validated.output
    assert validated.exception is None or isinstance(validated.exception, SystemExit)
    previewed = CliRunner().invoke(main, ["preview", str(path), "-o", str(tmp_path / "pages")])
    assert previewed.exit_code == 1 and "Traceback" not in previewed.output
    assert "nested" in previewed.output


def test_a_relative_context_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "relative.json"
    path.write_text('{"@context": "x", "id": "urn:x:1", "type": "VerifiableCredential"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and "invalid relative IRI 'x'" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_stack_refuses_held_files_too_deep_or_too_large_in_one_line(deep: Path, tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    big = tmp_path / "big.jsonld"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: above the 20 MiB limit without writing it
    for path, said in ((deep, "nested too deep to be a credential"), (big, "-byte limit for credentials")):
        result = CliRunner().invoke(main, ["stack", "IMP-PGCERT-DSH", "-c", str(FIXTURES / "imperial" /
                                                                                "catalogue.yaml"),
                                           "--held", str(path)])
        assert result.exit_code == 2 and said in result.stderr, result.output
        assert result.stderr.count(str(path)) == 1 and "Traceback" not in result.output


def test_a_mirror_without_download_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schemas", "install", "--mirror", "http://127.0.0.1:9/mirror",
                                       "--store", str(tmp_path / "store")])
    assert result.exit_code == 2
    assert "--mirror is for --download" in result.output
    assert not (tmp_path / "store").exists()
