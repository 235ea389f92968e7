"""A catalogue file writing more values than any catalogue does is refused while it is read,
before PyYAML holds them all (each as a node of several hundred bytes): a few MB of
``[a,a,a,...]``, well under the 20 MB file limit, would otherwise fill gigabytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.load import CatalogueError
from edcbridge.load import catalogue as catalogue_module
from tests.conftest import FIXTURES
from tests.memory_limited import printed_within


def test_four_mb_of_flow_values_are_refused_within_the_memory_limit(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("specifications: [" + "a," * 2_000_000 + "a]\n", encoding="utf-8")
    printed = printed_within(700, f"""
        from pathlib import Path
        from edcbridge.load import load_catalogue
        from edcbridge.load import CatalogueError
        try:
            load_catalogue(Path({str(catalogue)!r}))
        except CatalogueError as exc:
            print(exc)
    """)
    assert "catalogue.yaml:1: the file writes more than 200,000 values" in printed
    assert "check that this is the catalogue" in printed


@pytest.fixture()
def _small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_module, "MAX_WRITTEN", 1_000, raising=False)


@pytest.mark.usefixtures("_small_limit")
def test_the_refusal_names_the_line_where_reading_stopped(tmp_path: Path) -> None:
    # the mapping, issuer and its value, specifications and its list: the 1,001st value is item 996
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("issuer: uni\nspecifications:\n" + "- a\n" * 2_000, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"catalogue.yaml:998: the file writes more than 1,000"):
        catalogue_module.load_catalogue(catalogue)


@pytest.mark.usefixtures("_small_limit")
def test_a_json_catalogue_is_bounded_alike(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps({"specifications": ["a"] * 2_000}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="the file writes more than 1,000 values"):
        catalogue_module.load_catalogue(catalogue)


def test_a_real_catalogue_writes_far_fewer_values() -> None:
    assert catalogue_module.load_catalogue(FIXTURES / "imperial" / "catalogue.yaml").specifications
