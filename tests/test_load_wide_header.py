"""A header of a million columns must not cost gigabytes of errors and reports, nor every row
a million-entry dict."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load import InputFileError, iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def test_a_header_of_too_many_columns_is_refused_as_a_file(tmp_path: Path) -> None:
    header, row = (FIXTURES / "imperial" / "awards.csv").read_text("utf-8-sig").splitlines()[:2]
    awards = tmp_path / "awards.csv"
    awards.write_text(header + ",a" * 100_000 + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="columns"):
        list(iter_awards(awards, load_catalogue(CATALOGUE)))
