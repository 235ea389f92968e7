"""The command line as a whole: the same concept has the same option name on every command, a
wrong path is named for what it is, and setup problems are one line with exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


CommandsByName = Iterator[tuple[str, click.Command]]


def _commands(group: click.Group, ctx: click.Context, prefix: str = "") -> CommandsByName:
    """Every command of ``group`` and of its sub-groups, by its full name."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, parent=ctx, info_name=name)
            yield from _commands(command, sub_ctx, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def _all_commands() -> list[tuple[str, click.Command]]:
    return list(_commands(main, click.Context(main, info_name="edcbridge")))


def _option(command: click.Command, name: str) -> click.Option | None:
    return next((p for p in command.params if isinstance(p, click.Option) and name in p.opts), None)


@pytest.mark.parametrize("concept", [("--out", "-o"), ("--catalogue", "-c")])
def test_an_option_has_the_same_short_form_on_every_command(concept: tuple[str, str]) -> None:
    long, short = concept
    lacking = [name for name, command in _all_commands()
               if (option := _option(command, long)) is not None and short not in option.opts]
    assert lacking == [], f"{long} without {short} on: {', '.join(lacking)}"


@pytest.mark.parametrize("concept", [
    pytest.param(("--alg", "--algorithm"), id="signature-algorithm"),
    pytest.param(("--base-url", "--url"), id="root-of-a-remote-api"),
])
def test_one_concept_answers_to_the_same_names_on_every_command(concept: tuple[str, ...]) -> None:
    """`seal --alg` and `serve --algorithm` choose the same thing; so do `push --base-url` and
    `upload-dc4eu --url`: each command that takes the concept answers to every name of it."""
    lacking = [f"{name} ({'/'.join(opts)})" for name, command in _all_commands()
               if (opts := [n for n in concept if _option(command, n) is not None])
               and len(opts) < len(concept)]
    assert lacking == [], f"{' / '.join(concept)}: only some names on: {', '.join(lacking)}"


def test_every_command_answers_help_on_stdout_and_nothing_on_stderr() -> None:
    runner = CliRunner()
    for name, _command in _all_commands():
        result = runner.invoke(main, [*name.split(), "--help"], prog_name="edcbridge")
        assert result.exit_code == 0 and result.stdout.startswith("Usage: edcbridge"), name
        assert result.stderr == "", name


def test_seal_and_dev_pki_take_o_for_their_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dev-pki", "-o", str(tmp_path / "pki")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pki" / "seal.p12").is_file()
    sealed = CliRunner().invoke(main, ["seal", str(AWARDS), "--p12", str(tmp_path / "pki" / "seal.p12"),
                                       "-o", str(tmp_path / "sealed")])
    assert "No such option" not in sealed.stderr


def test_dev_pki_into_a_folder_under_a_file_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder\n", "utf-8")
    result = CliRunner().invoke(main, ["dev-pki", "--out", str(tmp_path / "taken" / "pki")])
    assert result.exit_code == 2, result.output
    assert "is a file, not a folder" in result.stderr
    assert not isinstance(result.exception, OSError)


@pytest.mark.parametrize("which", ["awards", "catalogue"])
def test_export_names_a_folder_given_for_a_file(which: str, tmp_path: Path) -> None:
    folder = FIXTURES / "imperial"
    awards, catalogue = (folder, CATALOGUE) if which == "awards" else (AWARDS, folder)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out)])
    assert result.exit_code == 2
    assert "is a directory" in result.stderr and "not found" not in result.stderr
    assert not out.exists()


def test_export_still_explains_a_missing_catalogue(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(AWARDS), "-c", str(tmp_path / "nope.yaml"),
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "check the --catalogue path" in result.stderr


def test_audit_verify_of_a_folder_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    """A mistyped folder is not a broken audit trail: exit 2, not the 1 of tampering."""
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path / "typo")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "NOT intact" not in result.stderr


def test_audit_verify_names_the_option_of_a_malformed_head(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--head", "12"])
    assert result.exit_code == 2
    assert "'--head'" in result.stderr and "expected EVENT:SHA256" in result.stderr


@pytest.mark.parametrize("digest", ["z" * 64, "0" * 63 + "g", "\u0660" * 64])
def test_audit_verify_refuses_a_head_whose_digest_is_not_hex(tmp_path: Path, digest: str) -> None:
    """A head miscopied (a letter that is no hex digit) is a usage error, not a trail broken: it
    was read as a noted head the trail no longer holds (NOT intact, exit 1)."""
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--head", f"3:{digest}"])
    assert result.exit_code == 2, result.output
    assert "expected EVENT:SHA256" in result.stderr and "NOT intact" not in result.stderr


def test_a_mistyped_command_or_option_gets_a_suggestion() -> None:
    command = CliRunner().invoke(main, ["exprot"])
    assert command.exit_code == 2 and "'export'" in command.stderr and "Did you mean" in command.stderr
    option = CliRunner().invoke(main, ["export", str(AWARDS), "--catalog", str(CATALOGUE)])
    assert option.exit_code == 2 and "Did you mean '--catalogue'?" in option.stderr


@pytest.mark.parametrize(("typed", "meant"), [("verfy", "verify"), ("previw", "preview"), ("pus", "push"),
                                              ("badge", "badges")])
def test_a_mistyped_command_of_another_package_gets_a_suggestion(typed: str, meant: str) -> None:
    """Such commands are loaded only when they run; a typo is compared with them all the same."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "edcbridge", typed], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert f"No such command '{typed}'" in result.stderr and f"'{meant}'" in result.stderr


_WRITERS = {
    "badges": ["badges", str(AWARDS), "-c", str(CATALOGUE), "-o"],
    "preview": ["preview", str(AWARDS), "-o"],
    "loq": ["loq", str(CATALOGUE), "-o"],
    "export-xml": ["export-xml", str(AWARDS), "-c", str(CATALOGUE), "-o"],
    "demo": ["demo", "-o"],
    "stack": ["stack", "IMP-PGCERT-DSH", "-c", str(CATALOGUE), "--records", str(AWARDS), "--issue"],
    "dev-pki": ["dev-pki", "-o"],
    "push wallet": ["push", "wallet", str(AWARDS), "--base-url", "http://127.0.0.1:9", "--dry-run", "-o"],
    "push deqar": ["push", "deqar", str(CATALOGUE), "--dry-run", "-o"],
}


@pytest.mark.parametrize("command", sorted(_WRITERS))
def test_an_output_folder_under_a_file_is_refused_before_any_work(command: str, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder\n", "utf-8")
    result = CliRunner().invoke(main, [*_WRITERS[command], str(tmp_path / "taken" / "out")])
    assert result.exit_code == 2, result.output
    assert "is a file, not a folder" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_the_timestamp_authority_is_a_url_from_the_same_variable_everywhere() -> None:
    options = [(name, option) for name, command in _all_commands() if (option := _option(command, "--tsa"))]
    assert {name for name, _ in options} >= {"export", "seal", "export-xml"}
    for name, option in options:
        assert option.metavar == "URL" and option.envvar == "EDCBRIDGE_TSA_URL", name
        assert "EDCBRIDGE_TSA_URL" in (option.help or ""), name


def test_an_output_folder_in_a_folder_without_permission_is_refused_before_any_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access

    def access(path: str | Path, mode: int, **kwargs: object) -> bool:  # as for another user's folder
        return Path(path) != locked and real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    result = CliRunner().invoke(main, ["loq", str(CATALOGUE), "-o", str(locked / "out")])
    assert result.exit_code == 2, result.output
    assert f"no permission to write in {locked}" in result.stderr


def test_schemas_install_from_a_folder_that_is_not_there_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schemas", "install", "--from", str(tmp_path / "typo"),
                                       "--store", str(tmp_path / "store")])
    assert result.exit_code == 2
    assert "'--from'" in result.stderr and "does not exist" in result.stderr


def test_an_output_folder_with_a_name_too_long_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / ("a" * 300) / "out"
    result = CliRunner().invoke(main, ["loq", str(FIXTURES / "galway" / "catalogue.yaml"), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "longer than the 255 bytes" in result.stderr and "Traceback" not in result.output
