"""Every command that takes a PKCS#12 seal file takes it as --seal and as --p12."""

from __future__ import annotations

import click
import pytest

from edcbridge import cli


def _commands() -> list[tuple[str, click.Command]]:
    context = click.Context(cli.main)
    found = []
    todo = [(name, cli.main.get_command(context, name)) for name in cli.main.list_commands(context)]
    while todo:
        name, command = todo.pop()
        if isinstance(command, click.Group):
            todo += [(f"{name} {sub}", command.get_command(context, sub))
                     for sub in command.list_commands(context)]
        elif command is not None:
            found.append((name, command))
    return sorted(found, key=lambda pair: pair[0])


def _seal_options(command: click.Command) -> list[click.Parameter]:
    return [p for p in command.params if {"--seal", "--p12"} & set(p.opts)]


def test_the_commands_that_seal_are_found() -> None:
    sealing = {name for name, command in _commands() if _seal_options(command)}
    assert {"export", "export-xml", "seal", "badges", "ob3", "stack", "serve"} <= sealing


@pytest.mark.parametrize(("name", "command"), [pair for pair in _commands() if _seal_options(pair[1])],
                         ids=lambda value: value if isinstance(value, str) else "")
def test_both_names_are_one_option(name: str, command: click.Command) -> None:
    (option,) = _seal_options(command)
    assert {"--seal", "--p12"} <= set(option.opts), f"{name}: {option.opts}"
