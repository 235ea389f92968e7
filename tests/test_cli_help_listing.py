"""`edcbridge --help` lists every command without importing the packages behind them."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from edcbridge import cli


@pytest.mark.parametrize("name", sorted(cli._PROVIDERS))
def test_each_listed_summary_is_the_commands_own(name: str) -> None:
    command = cli.main.get_command(click.Context(cli.main), name)
    assert command is not None
    assert cli._SUMMARIES[name] == command.get_short_help_str(10_000)


def test_every_lazy_command_has_a_summary() -> None:
    assert set(cli._SUMMARIES) == set(cli._PROVIDERS)


def test_listing_imports_no_command_package() -> None:
    script = ("import sys\nfrom edcbridge.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "loaded = sorted(m for m in sys.modules if m.startswith('edcbridge.') and "
              "m.count('.') >= 1 and m.split('.')[1] in ('badges', 'preview', 'oid4vci', 'xml', 'seal', "
              "'deliver', 'validation'))\n"
              "print('LOADED', loaded, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert "LOADED []" in done.stderr, done.stderr
    assert "verify-xml" in done.stdout and "Verify the XAdES seal" in done.stdout


@pytest.mark.parametrize("width", [60, 80, 200])
def test_listing_reads_as_click_writes_it_once_loaded(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in cli._PROVIDERS:  # load them all: the listing then comes from the commands
        cli.main.get_command(click.Context(cli.main), name)
    loaded = CliRunner().invoke(cli.main, ["--help"], terminal_width=width).output
    unloaded = {name: command for name, command in cli.main.commands.items() if name not in cli._PROVIDERS}
    monkeypatch.setattr(cli.main, "commands", unloaded)
    quick = CliRunner().invoke(cli.main, ["--help"], terminal_width=width).output
    assert set(cli.main.commands) == set(unloaded)  # listed from the summaries, nothing loaded
    assert quick == loaded
