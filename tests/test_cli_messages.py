"""Small promises of the command line: what a search without a match says, what help lists."""

from __future__ import annotations

from click.testing import CliRunner

from edcbridge.cli import main


def test_a_vocabulary_search_without_a_match_says_so() -> None:
    result = CliRunner().invoke(main, ["vocab", "eqf", "9"])
    assert result.exit_code == 1
    assert result.stdout == "" and "no eqf concept matches '9'" in result.stderr
    found = CliRunner().invoke(main, ["vocab", "eqf", "7"])
    assert found.exit_code == 0 and found.stdout


def test_export_help_lists_exit_codes_and_how_formats_combine() -> None:
    text = " ".join(CliRunner().invoke(main, ["export", "--help"]).output.split())
    assert "Exit codes: 0 all done; 1 some records, files or deliveries failed" in text
    assert "listing any replaces the default edc" in text
    assert "DRAFT pages" in text
