"""Names, titles and context IRIs from a credential must not reach the terminal as escape
sequences (OSC 0 sets the window title, OSC 52 writes the clipboard, CR rewrites the line)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.mapping.edc import to_edc
from tests.conftest import FIXTURES, fixture_awards

ESCAPE = "\x1b]0;PWNED\x07\x1b]52;c;ZWNobyBwd25lZA==\x07\rFAKE"


def _hostile(tmp_path: Path) -> Path:
    _name, award, catalogue = fixture_awards()[0]
    doc = to_edc(award, catalogue)
    subject = doc["credentialSubject"]
    for key in ("givenName", "familyName"):
        subject[key] = {lang: text + ESCAPE for lang, text in subject[key].items()}
    path = tmp_path / "hostile.jsonld"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_inspect_shows_no_escape_sequence(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["inspect", str(_hostile(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "PWNED" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\r" not in result.output


def test_validate_shows_no_escape_sequence(tmp_path: Path, store) -> None:
    path = tmp_path / "context.jsonld"
    path.write_text(json.dumps({"@context": [ESCAPE], "type": "x"}), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)], env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exit_code == 1
    assert "PWNED" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\r" not in result.output


def test_export_names_an_awards_file_with_its_control_characters_escaped(tmp_path: Path, store) -> None:
    """A failed row's error on stderr begins with its awards file's name: a line break in it
    started a line of its own ("OK good.csv:3: ..."), a direction override showed it reversed,
    where report.csv and the checking commands show them as \\n and \\u202e."""
    source = (FIXTURES / "imperial" / "awards.csv").read_text("utf-8-sig").splitlines()
    source[2] = source[2].replace("2025-07-14", "2025-02-31")  # not a date: the row fails
    awards = tmp_path / "odd\u202egpj.\nOK good.csv"
    awards.write_text("\n".join(source[:3]) + "\n", "utf-8")
    catalogue = FIXTURES / "imperial" / "catalogue.yaml"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out),
                                       "-j", "1"], env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exit_code == 1, result.output
    assert "odd\\u202egpj.\\nOK good.csv:3: award 'IMP-2025-000102'" in result.stderr, result.stderr
    assert "\u202e" not in result.stderr and not any(line.startswith("OK good")
                                                     for line in result.stderr.splitlines())
