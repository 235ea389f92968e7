"""A CSV file in a legacy encoding, read when the user names it (export --encoding): never
guessed, and a file the name does not fit is refused, not garbled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import InputFileError, LoadedRow, iter_awards
from edcbridge.load.tabular.text_file import named_encoding
from tests.conftest import FIXTURES
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER


def _file(tmp_path: Path, data: bytes, name: str = "awards.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _text(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\r\n" for row in rows)


def _rows(path: Path, encoding: str | None) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE, encoding=encoding))


@pytest.mark.parametrize("encoding", ["cp1252", "windows-1252", "latin-1", "ISO-8859-1"])
def test_a_legacy_csv_loads_in_the_encoding_named(tmp_path: Path, encoding: str) -> None:
    path = _file(tmp_path, _text([HEADER, GOOD]).encode("cp1252"))
    [row] = _rows(path, encoding)
    assert row.errors == () and row.award is not None
    assert row.award.learner.given_name == {"en": "Chloé"}
    assert row.award.learner.family_name == {"en": "Lefèvre"}


def test_without_the_name_a_legacy_file_is_refused_saying_how_to_name_it(tmp_path: Path) -> None:
    path = _file(tmp_path, _text([HEADER, GOOD]).encode("cp1252"))
    with pytest.raises(InputFileError) as caught:
        _rows(path, None)
    assert caught.value.error.message.startswith("not UTF-8 (line 2, byte")
    assert caught.value.error.fix == ("save the file as 'CSV UTF-8' (Excel) or convert it to UTF-8; or, "
                                      "to read it as it is, name its encoding: --encoding cp1252")


def test_a_utf8_file_is_refused_under_a_legacy_name_not_garbled(tmp_path: Path) -> None:
    path = _file(tmp_path, _text([HEADER, GOOD]).encode("utf-8"))
    with pytest.raises(InputFileError) as caught:
        _rows(path, "cp1252")
    assert caught.value.error.message == ("the file is UTF-8 (line 2 holds letters written in UTF-8), "
                                          "not CP1252: read as CP1252 they would be garbled")
    assert caught.value.error.fix == ("read it without --encoding (in a run of its own, if other files "
                                      "need the option)")


@pytest.mark.parametrize(("bom", "label"), [(b"\xef\xbb\xbf", "UTF-8"), (b"\xff\xfe", "UTF-16")])
def test_a_file_with_a_byte_order_mark_is_refused_under_a_legacy_name(tmp_path: Path, bom: bytes,
                                                                      label: str) -> None:
    text = _text([HEADER, GOOD])
    data = bom + (text.encode("utf-16-le") if label == "UTF-16" else text.encode("utf-8"))
    with pytest.raises(InputFileError) as caught:
        _rows(_file(tmp_path, data), "cp1252")
    assert caught.value.error.message == (f"the file starts with a {label} byte-order mark, so it is "
                                          f"{label}, not CP1252")


def test_an_ascii_file_reads_the_same_under_a_legacy_name(tmp_path: Path) -> None:
    ascii_row = ["A1", *GOOD[1:3], "Chloe", "Lefevre", *GOOD[5:]]
    [row] = _rows(_file(tmp_path, _text([HEADER, ascii_row]).encode("ascii")), "cp1252")
    assert row.errors == () and row.award is not None


def test_a_byte_the_named_encoding_has_no_character_for_fails_its_row(tmp_path: Path) -> None:
    second = _text([["A2", *GOOD[1:3], "Rene", *GOOD[4:]]]).encode("cp1252").replace(b"Rene", b"Ren\x81")
    data = _text([HEADER, GOOD]).encode("cp1252") + second  # 0x81: no character in cp1252
    good, bad = _rows(_file(tmp_path, data), "cp1252")
    assert good.award is not None
    assert bad.award is None
    [error] = bad.errors
    assert (error.row, error.column) == (3, "given_name")
    assert error.message == "given_name holds a byte that is not CP1252 (shown as \ufffd)"


def _award_json(award_id: str = "A1", given_name: str = "Chloé") -> str:
    return json.dumps({**dict(zip(HEADER, GOOD, strict=True)), "award_id": award_id,
                       "given_name": given_name}, ensure_ascii=False)


@pytest.mark.parametrize(("name", "text"), [
    ("awards.jsonl", _award_json() + "\r\n"),
    ("awards.json", "[\r\n" + _award_json() + "\r\n]\r\n"),
])
def test_a_legacy_json_file_loads_in_the_encoding_named(tmp_path: Path, name: str, text: str) -> None:
    [row] = _rows(_file(tmp_path, text.encode("cp1252"), name), "cp1252")
    assert row.errors == () and row.award is not None
    assert row.award.learner.given_name == {"en": "Chloé"}


def test_without_the_name_a_legacy_json_file_is_refused_saying_how_to_name_it(tmp_path: Path) -> None:
    path = _file(tmp_path, (_award_json() + "\n").encode("cp1252"), "awards.jsonl")
    with pytest.raises(InputFileError) as caught:
        _rows(path, None)
    assert caught.value.error.fix == ("write the file as UTF-8; or, to read it as it is, name its "
                                      "encoding: --encoding cp1252")


@pytest.mark.parametrize(("data", "message"), [
    ((_award_json() + "\n").encode("utf-8"),
     "the file is UTF-8 (line 1 holds letters written in UTF-8), not CP1252: read as CP1252 they "
     "would be garbled"),
    (("[" + _award_json() + "]").encode("utf-16"),
     "the file starts with a UTF-16 byte-order mark, so it is UTF-16, not CP1252"),
])
def test_a_json_file_in_another_encoding_is_refused_under_a_legacy_name(tmp_path: Path, data: bytes,
                                                                        message: str) -> None:
    with pytest.raises(InputFileError) as caught:
        _rows(_file(tmp_path, data, "awards.json"), "cp1252")
    assert caught.value.error.message == message


def test_a_json_line_holding_a_byte_the_named_encoding_lacks_fails_alone(tmp_path: Path) -> None:
    data = "\n".join([_award_json("A1"), _award_json("A2", "Rene")]).encode("cp1252")
    good, bad = _rows(_file(tmp_path, data.replace(b"Rene", b"Ren\x81"), "awards.jsonl"), "cp1252")
    assert good.award is not None and bad.award is None
    [error] = bad.errors
    assert (error.row, error.message) == (2, "the line holds a byte that is not CP1252")
    assert error.fix == "correct the line, or name the encoding the file is in with --encoding"


@pytest.mark.parametrize(("name", "error"), [
    ("klingon", "'klingon' is not an encoding Python knows; name it like cp1252, latin-1 or iso-8859-2"),
    ("utf-16", "'utf-16' is not a single-byte encoding such as cp1252: a UTF-16 file is read by its "
               "byte-order mark, without --encoding"),
])
def test_an_encoding_name_that_cannot_be_used_is_refused(name: str, error: str) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("(", r"\(").replace(")", r"\)") + "$"):
        named_encoding(name)


def test_utf8_named_is_the_default(tmp_path: Path) -> None:
    assert named_encoding("UTF-8") is None and named_encoding("utf8") is None


def test_export_reads_a_legacy_csv_with_encoding(store: Any, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    path = _file(tmp_path, _text([HEADER, GOOD]).encode("cp1252"))
    args = ["export", str(path), "-c", str(FIXTURES / "imperial" / "catalogue.yaml"), "--no-validate", "-q"]
    refused = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "refused")])
    assert refused.exit_code == 2 and "--encoding cp1252" in refused.stderr
    done = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "out"), "--encoding", "cp1252"])
    assert done.exit_code == 0, done.stderr
    [credential] = (tmp_path / "out" / "edc").glob("*.jsonld")
    assert "Chloé" in credential.read_text("utf-8")
    wrong = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "wrong"), "--encoding", "klingon"])
    assert wrong.exit_code == 2 and "'klingon' is not an encoding" in wrong.stderr


def test_utf8_letters_past_the_first_64_kb_refuse_the_file_under_a_legacy_name(tmp_path: Path) -> None:
    ascii_rows = [[f"A{n}", *GOOD[1:3], "Chloe", "Lefevre", *GOOD[5:]] for n in range(2000)]
    path = _file(tmp_path, _text([HEADER, *ascii_rows, ["B1", *GOOD[1:]]]).encode("utf-8"))
    assert path.read_bytes().index("é".encode()) > 65536
    with pytest.raises(InputFileError) as caught:
        _rows(path, "cp1252")
    assert caught.value.error.message == ("the file is UTF-8 (line 2002 holds letters written in UTF-8), "
                                          "not CP1252: read as CP1252 they would be garbled")


def test_an_empty_file_is_said_to_be_empty_under_a_legacy_name(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as caught:
        _rows(_file(tmp_path, b""), "cp1252")
    assert caught.value.error.message == "the file is empty"
