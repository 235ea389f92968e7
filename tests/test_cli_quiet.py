"""-q/--quiet: the commands that say notes or a summary on stderr say nothing there with it,
and still list what they wrote on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial"


def _commands(tmp_path: Path, credential: Path) -> dict[str, list[str]]:
    return {
        "loq": ["loq", str(IMPERIAL / "catalogue.yaml"), "-o", str(tmp_path / "loq")],
        "badges": ["badges", str(IMPERIAL / "awards.csv"), "-c", str(IMPERIAL / "catalogue.yaml"),
                   "-o", str(tmp_path / "badges")],
        "preview": ["preview", str(credential), "-o", str(tmp_path / "preview")],
    }


@pytest.mark.parametrize("name", ["loq", "badges", "preview"])
def test_quiet_silences_notes_and_summary(store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          name: str) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    exported = CliRunner().invoke(main, ["export", str(IMPERIAL / "awards.csv"), "-c",
                                         str(IMPERIAL / "catalogue.yaml"), "-o", str(tmp_path / "out"), "-q"])
    assert exported.exit_code == 0, exported.output
    credential = next((tmp_path / "out" / "edc").glob("*.jsonld"))
    args = _commands(tmp_path, credential)[name]
    loud = CliRunner().invoke(main, args)
    assert loud.exit_code == 0, loud.output
    assert loud.stderr.strip()  # a note or a summary, without -q
    quiet = CliRunner().invoke(main, [*args, "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert quiet.stdout.strip() and quiet.stdout == loud.stdout
