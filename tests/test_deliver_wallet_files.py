"""Push wallet: manifests that cannot be read, and sealed files read when the push plans and
again just before each deposit (a file changed in between), against the contract fake over real
HTTP on 127.0.0.1."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.deliver.cli import register


@pytest.fixture(params=["csv's own limit", "a limit raised in the process"])
def field_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """The csv module's limit is the process's: something read earlier may have raised it."""
    before = csv.field_size_limit()
    if request.param != "csv's own limit":
        csv.field_size_limit(16 * 1024 * 1024)
    yield
    csv.field_size_limit(before)


@pytest.mark.parametrize("cell", ['"' + "x" * 200_000, '"' + "x" * 200_000 + '"'])
def test_a_manifest_cell_past_128_kib_is_a_usage_error_naming_its_line_and_the_fix(
    tmp_path: Path, field_limit: None, cell: str
) -> None:
    """A quote left open makes the rest of the file one cell; a cell as long, closed, is no
    path, address or locale either."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"credential,email\nc1.json,a@example.org\n{cell},b@example.org\n", "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    result = CliRunner().invoke(root, ["push", "wallet", str(manifest), "--base-url", "http://127.0.0.1:9",
                                       "-o", str(tmp_path / "out"), "--dry-run"])
    assert result.exit_code == 2, result.output[-300:]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    (line,) = result.stderr.strip().splitlines()
    assert f"{manifest}: line 3:" in line
    assert "131072 characters" in line and "check the quotes from that line on" in line
