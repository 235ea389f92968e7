"""A sealing run that also writes LOQ says the LOQ file is not sealed: the official LOQ schema
has no place for a signature (checked here: the file validates and holds none)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from edcbridge.demo import bundled_fixtures
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import demo_seal

CATALOGUE = bundled_fixtures() / "wales" / "catalogue.yaml"
AWARDS = bundled_fixtures() / "wales" / "awards.csv"


@pytest.mark.parametrize("sealed", [True, False])
def test_the_loq_of_a_sealing_run_is_said_to_be_unsealed(store: SchemaStore, tmp_path: Path,
                                                         sealed: bool) -> None:
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE)) if sealed else None
    options = RunOptions(out_dir=tmp_path / "out", store_root=store.root, formats=("loq",), workers=1,
                         seal=seal)
    result = run([Job(CATALOGUE, (AWARDS,))], options)
    [loq] = [Path(p) for p in result.catalogue_files]
    signatures = etree.parse(str(loq)).findall(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signatures == []
    said = [note for note in result.notes if "(LOQ) is not sealed" in note]
    assert len(said) == (1 if sealed else 0)
    if sealed:
        assert loq.name in said[0] and "loq.xsd" in said[0]
