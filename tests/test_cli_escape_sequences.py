"""Names, titles and context IRIs from a credential must not reach the terminal as escape
sequences (OSC 0 sets the window title, OSC 52 writes the clipboard, CR rewrites the line)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.mapping.edc import to_edc
from tests.conftest import fixture_awards

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
