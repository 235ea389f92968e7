"""report.html says of a run what report.json, report.csv and the summary on stderr say of it."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _export(out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(out), *args])
    return result.exit_code, result.stderr


def _text(out: Path) -> str:
    """report.html as a reader sees it: its words, without the markup."""
    page = (out / "report.html").read_text("utf-8")
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _report(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "report.json").read_text("utf-8"))


def test_records_remade_for_a_file_touched_are_not_said_to_have_new_input(env: None, tmp_path: Path) -> None:
    """A copy of the folder that kept no modification times remakes every credential: the
    verdict said they were made again "as what they are made from changed"."""
    out = tmp_path / "out"
    assert _export(out)[0] == 0
    for path in (out / "edc").glob("*.jsonld"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert _export(out)[0] == 0
    report, text = _report(out), _text(out)
    assert report["redone"] == report["done"] > 0
    assert all("was changed or removed since it was written" in r["redone"] for r in report["records"])
    assert "what they are made from changed" not in text
    assert f"{report['redone']} of them made again, each for the reason given under Made again" in text
