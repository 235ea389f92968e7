"""`edcbridge verify received/*` over many files: a name that leads to no file among them is
that file's own verdict, and the other files are still checked."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.seal import devpki
from tests.conftest import seal_commands


def _sealed(written: devpki.TestSeal, folder: Path) -> Path:
    source = folder / "award-unsigned.json"
    source.write_text('{"id": "urn:credential:many", "type": ["VerifiableCredential"]}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["seal", str(source), "--out", str(folder / "sealed"), "-q", "--p12",
                                       str(written.p12), "--password-file", str(written.password_file)])
    assert result.exit_code == 0, result.output
    return folder / "sealed" / "award-signed.jsonld"


def test_a_link_to_nothing_among_the_files_is_its_own_verdict(written: devpki.TestSeal,
                                                              tmp_path: Path) -> None:
    """A dangling link (a file moved away, `received/*` still naming its link) was a usage error
    that stopped every file from being checked."""
    sealed = _sealed(written, tmp_path)
    dangling = tmp_path / "sealed" / "moved.jsonld"
    dangling.symlink_to(tmp_path / "elsewhere.jsonld")
    files = [str(dangling), str(sealed)]
    anchor = ["--trust-anchor", str(written.root_ca)]
    result = CliRunner().invoke(seal_commands(), ["verify", *files, *anchor])
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(f"{dangling}: UNREADABLE: a link to {tmp_path / 'elsewhere.jsonld'}, "
                                    "which does not exist: give the file itself, or mend the link.\n")
    assert f"{sealed}: VALID: " in result.stdout
    assert result.stdout.splitlines()[-1] == "2 files: 1 VALID, 1 UNREADABLE"
    as_json = CliRunner().invoke(seal_commands(), ["verify", "--json", *files, *anchor])
    assert as_json.exit_code == 1
    assert [(entry["file"], entry["verdict"]) for entry in json.loads(as_json.stdout)] == [
        (str(dangling), "UNREADABLE"), (str(sealed), "VALID")]


def test_a_name_that_names_nothing_is_still_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "typo.jsonld")])
    assert result.exit_code == 2 and "typo.jsonld" in result.stderr and "does not exist" in result.stderr


def test_verify_keeps_no_file_once_its_verdict_is_printed(written: devpki.TestSeal, tmp_path: Path) -> None:
    """A folder of thousands of credentials is checked in the memory of a few: each report was
    kept (its payload with it) until the end, for the summary line."""
    padding = "x" * 500_000
    sources = []
    for number in range(30):
        sources.append(tmp_path / f"award-{number:02}-unsigned.json")
        sources[-1].write_text(json.dumps({"id": f"urn:credential:{number}", "description": padding}),
                               encoding="utf-8")
    out = tmp_path / "sealed"
    sealed = CliRunner().invoke(main, ["seal", *map(str, sources), "--out", str(out), "-q", "--p12",
                                       str(written.p12), "--password-file", str(written.password_file)])
    assert sealed.exit_code == 0, sealed.output
    files = sorted(map(str, out.iterdir()))
    peaks = {}
    for count in (2, 2, 30):  # the first run loads what every run shares
        tracemalloc.start()
        try:
            result = CliRunner().invoke(seal_commands(), ["verify", *files[:count], "--trust-anchor",
                                               str(written.root_ca)])
            peaks[count] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "30 files: 30 VALID"
    assert peaks[30] - peaks[2] < 14 * len(padding)  # 28 more files held would be 28 x 500 kB
