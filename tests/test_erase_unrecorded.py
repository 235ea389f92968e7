"""``edcbridge erase`` of an award whose row was refused before the journal made a record of it
(a value malformed): the last run's reports quote the learner's data in its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline.erase_learner import Learner
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
SECRET = "learner.private@@example"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _exported(tmp_path: Path) -> Path:
    lines = (FIXTURES / "imperial" / "awards.csv").read_text(encoding="utf-8-sig").splitlines()[:3]
    lines[2] = lines[2].replace("e.papadopoulou@example.gr", SECRET)
    assert SECRET in lines[2]
    awards, out = tmp_path / "awards.csv", tmp_path / "out"
    awards.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _cli("export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
    assert result.exit_code == 1, result.output
    return out


def _holding(out: Path) -> list[str]:
    return sorted(path.name for path in out.rglob("*")
                  if path.is_file() and SECRET.encode() in path.read_bytes())


@pytest.mark.parametrize("given", ["IMP-2025-000102", "imperial/IMP-2025-000102"])
def test_an_award_refused_before_its_record_leaves_no_quote_of_the_learner_in_the_reports(
        tmp_path: Path, given: str) -> None:
    out = _exported(tmp_path)
    assert _holding(out) == ["report.csv", "report.html", "report.json"]
    result = _cli("erase", str(out), given, "--reason", "DPO-7")
    assert result.exit_code == 0, result.output
    assert "failed before the journal made a record of it" in result.output
    assert _holding(out) == []
    assert "IMP-2025-000101" in (out / "report.csv").read_text(encoding="utf-8-sig")


def test_an_award_id_in_no_report_and_no_journal_is_still_not_found(tmp_path: Path) -> None:
    out = _exported(tmp_path)
    result = _cli("erase", str(out), "imperial/IMP-2025-000999", "--reason", "DPO-7")
    assert result.exit_code == 1 and "no such award" in result.output, result.output
    assert _holding(out) == ["report.csv", "report.html", "report.json"]


CHLOE, CHLOE_ID, REFUSED = "chloe.lefevre@example.org", "02214587", "Chloe.Lefevre@example.org;"


def _refused_rows_of_chloe(tmp_path: Path) -> Path:
    """An export of Chloé's award (row 2, done), a row of hers refused for its e-mail address
    with a ';' after it (row 3, IMP-2025-000102), quoting the address and not her id, and one
    refused for a character that cannot be seen after her id (row 4, IMP-2025-000104)."""
    lines = (FIXTURES / "imperial" / "awards.csv").read_text(encoding="utf-8-sig").splitlines()[:3]
    lines[2] = lines[2].replace("02214592", CHLOE_ID).replace("e.papadopoulou@example.gr", REFUSED)
    lines.append(lines[2].replace("IMP-2025-000102", "IMP-2025-000104").replace(CHLOE_ID, CHLOE_ID + "\u200b")
                 .replace(REFUSED, "someone@example.org"))
    awards, out = tmp_path / "awards.csv", tmp_path / "out"
    awards.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _cli("export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
    assert result.exit_code == 1, result.output
    return out


def _report_rows(out: Path) -> list[str]:
    """The award ids of report.csv's rows, and those of the refused rows report.html lists."""
    lines = (out / "report.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    rows = [line.split(",")[2] for line in lines]
    page = (out / "report.html").read_text(encoding="utf-8")
    return rows + [f"html:{award}" for award in ("IMP-2025-000102", "IMP-2025-000104") if award in page]


def test_erasing_by_address_takes_out_the_refused_rows_quoting_it(tmp_path: Path) -> None:
    out, awards = _refused_rows_of_chloe(tmp_path), tmp_path / "awards.csv"
    assert REFUSED in (out / "report.json").read_text(encoding="utf-8")

    result = _cli("erase", str(out), "--email", CHLOE, "--reason", "DPO-7")

    assert result.exit_code == 0, result.output
    assert f"--email: 1 refused row(s) of the last run's reports name this learner: {awards}:3 " \
        "(IMP-2025-000102)" in result.output
    assert f"\n{awards}:3 (IMP-2025-000102): refused row taken out of the last run's reports" in result.output
    for name in ("report.csv", "report.json", "report.html"):
        assert CHLOE.encode() not in (out / name).read_bytes().lower(), name
    assert _report_rows(out) == ["IMP-2025-000104", "html:IMP-2025-000104"]
    assert _cli("audit", "verify", str(out)).exit_code == 0


def test_erasing_by_learner_id_takes_out_the_refused_rows_quoting_it_and_names_those_naming_neither(
        tmp_path: Path) -> None:
    out, awards = _refused_rows_of_chloe(tmp_path), tmp_path / "awards.csv"

    result = _cli("erase", str(out), "--learner", CHLOE_ID, "--reason", "DPO-7")

    assert result.exit_code == 0, result.output
    assert f"--learner: 1 refused row(s) of the last run's reports name this learner: {awards}:4 " \
        "(IMP-2025-000104)" in result.output
    assert _report_rows(out) == ["IMP-2025-000102", "html:IMP-2025-000102"]
    assert CHLOE_ID not in (out / "report.json").read_text(encoding="utf-8")
    # row 3 quotes her address, not her id: not known to be hers, and said so with the way to erase it
    assert "warning: --learner: 1 refused row(s) of the last run's reports do not name this learner (their " \
        "errors quote other values of the row), so whether they are this learner's is not known: " \
        f"{awards}:3 (IMP-2025-000102). If one is, erase it by its award id: edcbridge erase {out} " \
        "AWARD_ID --reason TEXT" in result.output
    assert _cli("erase", str(out), "IMP-2025-000102", "--reason", "DPO-7").exit_code == 0
    assert _report_rows(out) == []


def test_a_learner_only_in_refused_rows_is_erased_from_them_and_one_in_none_is_said_not_found(
        tmp_path: Path) -> None:
    out, awards = _refused_rows_of_chloe(tmp_path), tmp_path / "awards.csv"
    assert _cli("erase", str(out), "IMP-2025-000101", "--reason", "DPO-7").exit_code == 0  # no file left

    nobody = _cli("erase", str(out), "--learner", "99999999", "--reason", "DPO-7")
    assert nobody.exit_code == 1 and "nothing was erased" in nobody.output, nobody.output
    assert f"{awards}:3 (IMP-2025-000102), {awards}:4 (IMP-2025-000104)" in nobody.output
    assert len(_report_rows(out)) == 4

    result = _cli("erase", str(out), "--learner", CHLOE_ID, "--reason", "DPO-7")
    assert result.exit_code == 0, result.output
    assert "--learner: no award of this learner" not in result.output
    assert _report_rows(out) == ["IMP-2025-000102", "html:IMP-2025-000102"]


@pytest.mark.parametrize(("learner", "text", "named"), [
    (Learner("--learner", "2025"), "column 'award_id' = 'IMP-2025-01': bad", False),
    (Learner("--learner", "02214587"), "column 'learner_id' = '02214587\\u200b': hidden", True),
    (Learner("--learner", "02214587"), "column 'learner_id' = '022145870': too long", False),
    (Learner("--email", "ana@example.org"), "column 'email' = 'ANA@example.org;': not an address", True),
    (Learner("--email", "ana@example.org"), "column 'email' = 'ana@example.org.uk x': not an address", False),
    (Learner("--email", "ana@example.org"), "column 'email' = 'joana@example.org;': not an address", False),
])
def test_a_refused_rows_error_names_a_learner_by_the_whole_id_or_address(
        learner: Learner, text: str, named: bool) -> None:
    assert learner.is_named_in(text) is named


def test_a_learner_id_in_the_path_of_the_input_names_no_refused_row(tmp_path: Path) -> None:
    """The errors of a refused row begin with its file's path: a folder named like a learner id
    is not the id quoted as the row's value."""
    lines = (FIXTURES / "imperial" / "awards.csv").read_text(encoding="utf-8-sig").splitlines()[:3]
    lines[2] = lines[2].replace("e.papadopoulou@example.gr", SECRET)  # Eleni's row, refused
    awards, out = tmp_path / CHLOE_ID / "awards.csv", tmp_path / "out"
    awards.parent.mkdir()
    awards.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _cli("export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1").exit_code == 1

    result = _cli("erase", str(out), "--learner", CHLOE_ID, "--reason", "DPO-7")

    assert result.exit_code == 0, result.output
    assert "refused row(s) of the last run's reports name this learner" not in result.output
    assert _holding(out) == ["report.csv", "report.html", "report.json"]  # Eleni's row stays
