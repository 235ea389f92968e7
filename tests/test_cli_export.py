"""The export and demo commands: layout contract, exit codes, byte-identical re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from edcbridge.cli import main
from edcbridge.validation.document import walk
from tests.conftest import BROKEN, FIXTURES


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def test_demo_writes_one_valid_file_per_award_and_format(env: None, tmp_path: Path,
                                                         fixture_sets) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    awards = len(report["records"])
    assert awards >= 30 and report["failed"] == 0
    assert len(list((tmp_path / "edc").glob("*.jsonld"))) == awards
    assert len(list((tmp_path / "ebsi").glob("*.json"))) == awards
    assert (tmp_path / "report.csv").read_text().count("\n") == awards + 1


def test_export_is_byte_identical_on_rerun(env: None, tmp_path: Path) -> None:
    args = ["export", str(FIXTURES / "wales" / "awards.csv"), "-c",
            str(FIXTURES / "wales" / "catalogue.yaml"), "--format", "edc", "--format", "ebsi", "-q"]
    first = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    second = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == second.exit_code == 0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.json*")
                   if p.name != "report.json")
    assert files
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
    assert sorted(first.stdout.splitlines()) == sorted(str(tmp_path / "a" / f) for f in files)


def test_node_ids_are_unique_per_distinct_node(env: None, tmp_path: Path) -> None:
    CliRunner().invoke(main, ["export", str(FIXTURES / "imperial" / "awards.csv"), "-c",
                              str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(tmp_path), "-q"])
    credential_ids = set()
    for path in (tmp_path / "edc").glob("*.jsonld"):
        doc = json.loads(path.read_text())
        credential_ids.add(doc["id"])
        seen: dict[str, str] = {}
        for _, node in walk(doc):
            if isinstance(node.get("id"), str) and len(node) > 1:
                text = json.dumps(node, sort_keys=True)
                assert seen.setdefault(node["id"], text) == text, node["id"]
    assert len(credential_ids) == 9


def test_a_bad_row_does_not_stop_the_batch(env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(BROKEN / "bad_date.csv"), "-c",
                                       str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad_date.csv:3" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the good row was exported
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["status"] for r in sorted(report["records"], key=lambda r: r["row"])] == ["done", "failed"]


def test_usage_errors_exit_2(env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["export", "x.csv"]).exit_code == 2  # no --catalogue
    missing = runner.invoke(main, ["export", "x.csv", "-c", str(tmp_path / "none.yaml"), "-o", str(tmp_path)])
    assert missing.exit_code == 2 and "catalogue not found" in missing.stderr
    assert runner.invoke(main, ["validate", "--policy", "nope", "x.json"]).exit_code == 2


def test_policy_breach_fails_the_award_with_the_rule(env: None, tmp_path: Path) -> None:
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    assert "credits: 5\n" in text
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text.replace("credits: 5\n", "credits: 6\n", 1), "utf-8")
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial" / "awards.csv"), "-c",
                                       str(catalogue), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "not a multiple of 2.5" in result.stderr


def test_formats_publishes_valid_json_schemas() -> None:
    result = CliRunner().invoke(main, ["formats"])
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    award = Draft202012Validator(schemas["award"])
    assert award.is_valid({"award_id": "1", "specification": "X", "learner_id": "s", "given_name": "A",
                           "family_name": "B", "awarding_date": "2025-01-01", "grade@cy": "Llwyddo"})
    assert not award.is_valid({"award_id": "1", "famly_name": "B"})


def test_validate_json_output_shape(env: None, tmp_path: Path) -> None:
    CliRunner().invoke(main, ["export", str(FIXTURES / "sofia" / "awards.jsonl"), "-c",
                              str(FIXTURES / "sofia" / "catalogue.yaml"), "-o", str(tmp_path), "-q"])
    files = [str(p) for p in (tmp_path / "edc").glob("*.jsonld")]
    result = CliRunner().invoke(main, ["validate", "--json", "--policy", "eu-council", *files])
    assert result.exit_code == 0, result.stdout
    reports = json.loads(result.stdout)
    assert len(reports) == len(files) and all(r["ok"] for r in reports)
    assert {"source", "ok", "checks", "findings"} <= set(reports[0])


def test_serialised_bytes_are_standard_json_layout(fixture_sets) -> None:
    from edcbridge.load import iter_awards, load_catalogue
    from edcbridge.mapping.edc import to_edc
    from edcbridge.output import serialise

    for catalogue_path, awards in fixture_sets:
        catalogue = load_catalogue(catalogue_path)
        for path in awards:
            for row in iter_awards(path, catalogue):
                assert row.award is not None
                doc = to_edc(row.award, catalogue)
                assert serialise(doc) == (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()


def test_the_progress_line_ends_once_however_often_it_is_closed() -> None:
    import io

    from edcbridge.progress import Progress

    stream = io.StringIO()
    progress = Progress(2, stream=stream)
    progress.update("done")
    progress.close()
    progress.close()  # the deliver stage closes it before listing deliveries, the end again
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all("1/2" in line for line in lines)


def test_a_bar_on_a_terminal_leaves_nothing_of_a_longer_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from edcbridge import progress as progress_module
    from edcbridge.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    now = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    stream = Terminal()
    bar = Progress(3000, stream=stream)
    for _ in range(1000):  # 1000 records in the first two seconds: "500.0/s"
        bar.update("done")
    now[0] += 2.0
    bar.update("done")
    now[0] += 200.0
    bar.update("done")  # 5.0/s: a shorter line
    bar.clear()
    stream.write("awards.csv:5: column 'specification' ...\n")
    drawn = stream.getvalue()
    assert " 5.0/s," in drawn
    assert drawn.count("\r") == 4 and drawn.count("\x1b[K") == 4  # every bar, and the clearing
    assert "\r\x1b[Kawards.csv:5:" in drawn  # the message starts on a clean line
    bar.clear()  # nothing drawn since: nothing to erase
    assert stream.getvalue() == drawn


def test_a_store_without_the_ebsi_schema_exports_edc_and_names_the_fix_for_ebsi(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The EBSI EDC schema has no public download, so a store filled by --download lacks it:
    that matters only for --format ebsi, and the fix says where it can come from."""
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store.root, copy)
    shutil.rmtree(copy / "ebsi-edc-schema")
    (copy / "ebsi-edc-schema").write_text("not a folder", "utf-8")  # nor filled from ../shared/reference
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(copy))
    wales = FIXTURES / "wales"
    args = ["export", str(wales / "awards.csv"), "-c", str(wales / "catalogue.yaml"), "-q", "-j", "1"]
    plain = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "edc")])
    assert plain.exit_code == 0, plain.stderr
    ebsi = CliRunner().invoke(main, [*args, "--format", "ebsi", "--out", str(tmp_path / "ebsi")])
    assert ebsi.exit_code == 2
    assert "this file has no public download: run 'edcbridge schemas install --from DIR'" in ebsi.stderr


def test_a_catalogue_policy_breach_is_quoted_once_and_each_award_names_it(env: None, tmp_path: Path) -> None:
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text.replace("credits: 5\n", "credits: 6\n", 1), "utf-8")
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial" / "awards.csv"), "-c",
                                       str(catalogue), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if "not a multiple of 2.5" in line]
    assert len(failed) > 2  # each award of the specification, and the note
    assert sum("Rule: " in line for line in failed) == 1  # the rule's text, once
    assert all("quoted in the run's notes" in line for line in failed if "Rule: " not in line)
