"""A column mapping (``--column HEADER=COLUMN``, ``--columns FILE``) reads the headers a student
system writes in its own language as the award columns, on every command that reads awards files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

CATALOGUE = str(FIXTURES / "imperial" / "catalogue.yaml")
GERMAN = ["Prüfungsnummer", "specification", "Matrikelnummer", "Vorname", "Nachname",
          "Geburtsdatum", "awarding_date", "grade"]
ROW = ["A1", "IMP-MC-MLH", "02214587", "Chloé", "Lefèvre", "1994-03-17", "2025-07-14", "Merit"]
MAPPING = ["Prüfungsnummer=award_id", "Matrikelnummer=learner_id", "Vorname=given_name",
           "Nachname=family_name", "Geburtsdatum=date_of_birth"]


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _csv(tmp_path: Path, header: list[str], *rows: list[str], name: str = "awards.csv") -> str:
    path = tmp_path / name
    path.write_text("".join(",".join(cells) + "\n" for cells in (header, *rows)), "utf-8")
    return str(path)


def _options(pairs: list[str]) -> list[str]:
    return [part for pair in pairs for part in ("--column", pair)]


def _export(awards: str, out: Path, *extra: str) -> list[str]:
    return ["export", awards, "-c", CATALOGUE, "-o", str(out), "-j", "1", *extra]


def _warnings(out: Path) -> list[str]:
    [record] = json.loads((out / "report.json").read_text("utf-8"))["records"]
    return list(record["warnings"])


def test_export_reads_the_mapped_headers_as_their_columns(env: None, tmp_path: Path) -> None:
    awards = _csv(tmp_path, GERMAN, ROW)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, _export(awards, out, *_options(MAPPING)))
    assert result.exit_code == 0, result.stderr
    credential = (out / "edc" / "imperial_A1.jsonld").read_text("utf-8")
    assert "Chloé" in credential and "Lefèvre" in credential and "02214587" in credential
    said = [w for w in _warnings(out) if "as the column mapping says" in w]
    assert len(said) == 5
    assert any("'Matrikelnummer' is read as learner_id" in w for w in said)


def test_headers_are_matched_in_any_case_and_with_spaces_for_underscores(env: None, tmp_path: Path) -> None:
    header = ["Prüfungs Nummer", *GERMAN[1:]]
    awards = _csv(tmp_path, header, ROW)
    pairs = ["prüfungs_nummer=award_id", "MATRIKELNUMMER=learner_id", *MAPPING[2:]]
    result = CliRunner().invoke(main, _export(awards, tmp_path / "out", *_options(pairs)))
    assert result.exit_code == 0, result.stderr


def test_a_mapping_onto_an_unknown_column_is_refused_naming_the_columns(tmp_path: Path) -> None:
    awards = _csv(tmp_path, GERMAN, ROW)
    result = CliRunner().invoke(main, _export(awards, tmp_path / "out", "--column", "Vorname=givenname"))
    assert result.exit_code == 2
    assert "--column 'Vorname=givenname': 'givenname' is not a column: did you mean 'given_name'?" \
        in result.stderr
    assert "(the columns: award_id, specification, learner_id" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_mapping_without_an_equals_sign_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, _export(_csv(tmp_path, GERMAN, ROW), tmp_path / "out",
                                              "--column", "Vorname"))
    assert result.exit_code == 2 and "e.g. --column 'Matrikelnummer=learner_id'" in result.stderr


def test_two_headers_mapped_onto_one_column_are_refused_naming_both(tmp_path: Path) -> None:
    awards = _csv(tmp_path, GERMAN, ROW)
    result = CliRunner().invoke(main, _export(awards, tmp_path / "out", "--column", "Vorname=given_name",
                                              "--column", "Rufname=given_name"))
    assert result.exit_code == 2
    assert "--column 'Rufname=given_name' and --column 'Vorname=given_name' both map a header onto " \
        "given_name" in result.stderr


def test_a_mapping_onto_a_column_the_file_also_has_is_refused_naming_both(env: None, tmp_path: Path) -> None:
    header = [*GERMAN, "First name"]
    awards = _csv(tmp_path, header, [*ROW, "Chloe"])
    result = CliRunner().invoke(main, _export(awards, tmp_path / "out", *_options(MAPPING)))
    assert result.exit_code == 2, result.stderr
    assert "the header gives the column given_name twice, as 'Vorname' (column 4) and 'First name' " \
        "(column 9), one of them by the column mapping" in result.stderr
    assert not (tmp_path / "out" / "edc").exists()


def test_a_mapped_header_the_file_does_not_have_is_a_warning_naming_it(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, _export(_csv(tmp_path, GERMAN, ROW), out,
                                              *_options([*MAPPING, "Wohnort=issuer"])))
    assert result.exit_code == 0, result.stderr
    assert any("the column mapping names the header 'Wohnort', which the file does not have" in w
               for w in _warnings(out))


def test_a_language_tagged_column_can_be_a_target(env: None, tmp_path: Path) -> None:
    header = [*GERMAN, "Vorname (griechisch)", "Nachname@EL"]
    awards = _csv(tmp_path, header, [*ROW, "Χλόη", "Λεφέβρ"])
    out = tmp_path / "out"
    pairs = [*MAPPING, "Vorname (griechisch)=given_name@el"]
    result = CliRunner().invoke(main, _export(awards, out, *_options(pairs)))
    assert result.exit_code == 0, result.stderr
    warnings = _warnings(out)
    assert any("'Vorname (griechisch)' is read as given_name@el" in w for w in warnings)
    assert any("'Nachname@EL' is read as family_name@el" in w for w in warnings)


def test_a_language_on_a_column_that_is_not_text_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, _export(_csv(tmp_path, GERMAN, ROW), tmp_path / "out",
                                              "--column", "Geburtsdatum=date_of_birth@de"))
    assert result.exit_code == 2 and "date_of_birth is not a text column" in result.stderr


def test_a_title_above_mapped_headers_is_passed_over(env: None, tmp_path: Path) -> None:
    header = [*GERMAN[:1], "Modul", *GERMAN[2:6], "Abschlussdatum", "Note"]  # no column named as such
    awards = tmp_path / "awards.csv"
    awards.write_text("Abschlüsse 2025,,,,,,,\n" + ",".join(header) + "\n" + ",".join(ROW) + "\n", "utf-8")
    pairs = [*MAPPING, "Modul=specification", "Abschlussdatum=awarding_date", "Note=grade"]
    result = CliRunner().invoke(main, _export(str(awards), tmp_path / "out", *_options(pairs)))
    assert result.exit_code == 0, result.stderr


def test_json_keys_are_mapped_and_a_clash_fails_its_object(env: None, tmp_path: Path) -> None:
    awards = tmp_path / "awards.jsonl"
    good = dict(zip(GERMAN, ROW, strict=True))
    clash = {**good, "Prüfungsnummer": "A2", "given_name": "Chloe"}
    awards.write_text(json.dumps(good) + "\n" + json.dumps(clash) + "\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, _export(str(awards), out, *_options(MAPPING)))
    assert result.exit_code == 1, result.stderr
    assert (out / "edc" / "imperial_A1.jsonld").is_file()
    assert "the keys 'Vorname' and 'given_name' both give given_name" in result.stderr


def test_badges_read_a_yaml_mapping_file(reference: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("".join(f"{pair.replace('=', ': ')}\n" for pair in MAPPING), "utf-8")
    result = CliRunner().invoke(main, ["badges", _csv(tmp_path, GERMAN, ROW), "-c", CATALOGUE, "-o",
                                       str(tmp_path / "out"), "--no-clr", "--schemas",
                                       str(reference / "ob3-clr"), "--columns", str(mapping)])
    assert result.exit_code == 0, result.stderr
    [written] = [Path(line) for line in result.stdout.splitlines()]
    assert "Chloé" in written.read_text("utf-8")


def test_export_xml_and_stack_read_a_csv_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.csv"
    mapping.write_text("header,column\n# HISinOne\n" + "".join(f"{pair.replace('=', ',')}\n"
                                                              for pair in MAPPING), "utf-8")
    awards = _csv(tmp_path, GERMAN, ROW)
    xml = CliRunner().invoke(main, ["export-xml", awards, "-c", CATALOGUE, "-o", str(tmp_path / "out"),
                                    "--columns", str(mapping)])
    assert xml.exit_code == 0, xml.stderr
    [written] = [Path(line) for line in xml.stdout.splitlines()]
    assert "Chloé" in written.read_text("utf-8")
    stack = CliRunner().invoke(main, ["stack", "IMP-PGCERT-DSH", "-c", CATALOGUE, "--records", awards,
                                      "--learner", "02214587", "--as-of", "2026-01-01",
                                      "--columns", str(mapping)])
    assert "counts 5 credits" in stack.stdout, stack.output


def test_a_mapping_file_line_onto_an_unknown_column_is_refused_naming_the_line(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.csv"
    mapping.write_text("Vorname,given_name\nNachname,famly_name\n", "utf-8")
    result = CliRunner().invoke(main, _export(_csv(tmp_path, GERMAN, ROW), tmp_path / "out",
                                              "--columns", str(mapping)))
    assert result.exit_code == 2
    assert f"{mapping}:2: 'famly_name' is not a column: did you mean 'family_name' or 'full_name'?" \
        in result.stderr


def test_the_progress_total_leaves_out_a_title_above_mapped_headers(env: None, tmp_path: Path) -> None:
    header = [*GERMAN[:1], "Modul", *GERMAN[2:6], "Abschlussdatum", "Note"]  # no column named as such
    awards = tmp_path / "awards.csv"
    awards.write_text("Abschlüsse 2025,,,,,,,\n" + ",".join(header) + "\n" + ",".join(ROW) + "\n", "utf-8")
    pairs = [*MAPPING, "Modul=specification", "Abschlussdatum=awarding_date", "Note=grade"]
    result = CliRunner().invoke(main, _export(str(awards), tmp_path / "out", *_options(pairs)))
    assert result.exit_code == 0, result.stderr
    assert " 1/1 100% " in result.stderr, result.stderr


def test_formats_names_the_mapping_options_for_headers_of_other_names() -> None:
    result = CliRunner().invoke(main, ["formats", "--kind", "award"])
    assert result.exit_code == 0, result.output
    described = json.loads(result.stdout)["description"]
    assert "--column HEADER=COLUMN" in described and "--columns FILE" in described


def test_errors_name_the_mapped_header_the_file_writes(env: None, tmp_path: Path) -> None:
    late = ["A1", "IMP-MC-MLH", "2.21459E+06", "Anna", "Lefèvre", "31/02/1994", "2025-07-14", "Merit"]
    awards = _csv(tmp_path, GERMAN, ROW, late)
    result = CliRunner().invoke(main, _export(awards, tmp_path / "out", *_options(MAPPING)))
    assert result.exit_code == 1, result.stderr
    assert "awards.csv:3: award 'A1': column 'Prüfungsnummer' = 'A1': duplicate of row 2" in result.stderr
    assert "awards.csv:3: award 'A1': column 'Geburtsdatum' = '31/02/1994': '31/02/1994' is not a date" \
        in result.stderr
    assert "awards.csv:3: award 'A1': column 'Matrikelnummer' = '2.21459E+06'" in result.stderr
    assert "format the Matrikelnummer column as Text" in result.stderr
    assert "column 'award_id'" not in result.stderr and "column 'learner_id'" not in result.stderr


def test_errors_name_the_mapped_key_of_a_json_object(env: None, tmp_path: Path) -> None:
    awards = tmp_path / "awards.jsonl"
    good = dict(zip(GERMAN, ROW, strict=True))
    awards.write_text(json.dumps(good) + "\n" + json.dumps({**good, "Geburtsdatum": "31/02/1994"}) + "\n",
                      "utf-8")
    result = CliRunner().invoke(main, _export(str(awards), tmp_path / "out", *_options(MAPPING)))
    assert result.exit_code == 1, result.stderr
    assert "awards.jsonl:2: award 'A1': column 'Prüfungsnummer' = 'A1': duplicate of row 1" in result.stderr
    assert "awards.jsonl:2: award 'A1': column 'Geburtsdatum' = '31/02/1994'" in result.stderr


@pytest.mark.parametrize(("header", "mapping"), [
    (["AwardID", *GERMAN[1:]], MAPPING[1:]),  # an alias of award_id
    (GERMAN, MAPPING),  # a mapped header
])
def test_a_refused_award_id_under_another_name_is_no_award_of_another_file(
        env: None, tmp_path: Path, header: list[str], mapping: list[str]) -> None:
    error_cell = ["#N/A", *ROW[1:]]  # what a spreadsheet shows when the id's formula failed
    first = _csv(tmp_path, header, error_cell, name="first.csv")
    second = _csv(tmp_path, header, error_cell, name="second.csv")
    result = CliRunner().invoke(main, ["export", first, second, "-c", CATALOGUE, "-o",
                                       str(tmp_path / "out"), "-j", "1", *_options(mapping)])
    assert result.exit_code == 1, result.stderr
    assert f"{second}:2: award '#N/A': column '{header[0]}' = '#N/A': the cell shows the spreadsheet error" \
        in result.stderr
    assert "the same award or output file" not in result.stderr


@pytest.mark.parametrize(("header", "mapping"), [
    (["AwardID", *GERMAN[1:]], MAPPING[1:]),  # an alias of award_id
    (GERMAN, MAPPING),  # a mapped header
])
def test_an_award_id_met_twice_is_named_by_the_header_the_file_writes(
        env: None, tmp_path: Path, header: list[str], mapping: list[str]) -> None:
    first = _csv(tmp_path, header, ROW, name="first.csv")
    again = _csv(tmp_path, header, ROW, name="again.csv")  # loads: said by the run
    # a row that fails to load is said to be the same award too, with its other errors
    failing = _csv(tmp_path, header, [*ROW[:5], "31/02/1994", *ROW[6:]], name="failing.csv")
    result = CliRunner().invoke(main, ["export", first, again, failing, "-c", CATALOGUE, "-o",
                                       str(tmp_path / "out"), "-j", "1", *_options(mapping)])
    assert result.exit_code == 1, result.stderr
    for later in (again, failing):
        assert f"{later}:2: award 'A1': column '{header[0]}' = 'A1': the same award or output file as " \
               f"{first} row 2" in result.stderr
    assert "column 'award_id'" not in result.stderr


def test_an_award_whose_issuer_the_seal_does_not_name_is_refused_naming_the_mapped_header(
        env: None, tmp_path: Path) -> None:
    from edcbridge.load import load_catalogue
    from edcbridge.sealing import demo_seal

    seal = demo_seal(tmp_path, load_catalogue(Path(CATALOGUE)))
    awards = _csv(tmp_path, [*GERMAN, "Hochschule"], [*ROW, "qaa"])
    result = CliRunner().invoke(main, _export(awards, tmp_path / "out", "--seal", str(seal.p12),
                                              "--password-file", str(tmp_path / "seal-password.txt"),
                                              *_options([*MAPPING, "Hochschule=issuer"])))
    assert result.exit_code == 1, result.stderr
    assert f"{awards}:2: award 'A1': column 'Hochschule' = 'qaa': the award's issuer 'qaa' is not the " \
           "organisation" in result.stderr
    assert "column 'issuer'" not in result.stderr
