"""A certificate of participation: a specification with ``claim: activity`` maps to a credential
whose claim is a LearningActivity specified by a LearningActivitySpecification, as the EC's
own sample (Sample-CertOfPart) is built, and passes the official EDC 3.2 shapes (checked with
pyshacl on the reference files) and edcbridge's own ``validate``."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import rdflib
from pyld import jsonld
from pyshacl import validate

from edcbridge.load import load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, Learner
from edcbridge.preview import render_html
from edcbridge.schemas import SchemaStore
from edcbridge.vocab import CredentialType
from tests.conftest import FIXTURES, REFERENCE, ROOT, reference_context_loader

SHAPES = REFERENCE / "elm3-rdf/3.2/rdf/ap/edc"
SAMPLE = REFERENCE / "examples/elm-repo-v3-jsonld/Sample-CertOfPart-unsigned.jsonld"

WEBINAR = """
  - code: GAL-WEBINAR
    claim: activity
    title:
      en: Research data management webinar
    description:
      en: A two-hour online webinar on planning, storing and sharing research data.
    hours: 2
    mode: online
    languages: [en]
    further_information:
      en: Attendance was recorded by the webinar platform.
    homepage: https://www.universityofgalway.ie/webinars/research-data/
    validity_years: 5
"""


def activity_catalogue(tmp_path: Path, entry: str = WEBINAR) -> Path:
    """The Galway catalogue with an activity specification added at its end."""
    text = (FIXTURES / "galway" / "catalogue.yaml").read_text("utf-8")
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.rstrip("\n") + "\n" + entry, "utf-8")
    return path


def attended(catalogue: Catalogue, code: str = "GAL-WEBINAR") -> dict[str, Any]:
    learner = Learner(id="24100317", given_name={"en": "Aoife"}, family_name={"en": "Ní Bhriain"})
    return to_edc(Award(award_id="W1", specification=code, learner=learner,
                        awarding_date=dt.date(2025, 11, 14)), catalogue)


def _conforms(doc: dict[str, Any]) -> tuple[bool, str]:
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": reference_context_loader})
    data = rdflib.Graph().parse(data=nquads, format="nquads")
    shapes = rdflib.Graph()
    for name in ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"):
        shapes.parse(SHAPES / name, format="turtle")
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return bool(conforms), str(text)


def test_an_activity_claims_a_learning_activity_that_passes_the_official_shapes(
        reference: Path, tmp_path: Path) -> None:
    doc = attended(load_catalogue(activity_catalogue(tmp_path)))
    claim = doc["credentialSubject"]["hasClaim"]
    assert claim["type"] == "LearningActivity"
    assert claim["specifiedBy"]["type"] == "LearningActivitySpecification"
    assert "provenBy" not in claim
    assert claim["specifiedBy"]["volumeOfLearning"] == "PT2H"
    assert [c["id"] for c in doc["credentialProfiles"]] == [CredentialType.GENERIC.value]
    conforms, text = _conforms(doc)
    assert conforms, text


def test_what_an_achievement_would_carry_is_left_out_and_the_shapes_still_pass(
        reference: Path, tmp_path: Path) -> None:
    entry = WEBINAR + "    credits: 1\n    eqf: 6\n    learning_setting: non-formal\n" \
        "    assessment: {title: {en: Quiz}}\n    quality_assurance: [cinnte-2021]\n"
    doc = attended(load_catalogue(activity_catalogue(tmp_path, entry)))
    spec = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    for absent in ("creditPoint", "eqfLevel", "learningSetting", "accreditation"):
        assert absent not in spec, absent
    assert "provenBy" not in doc["credentialSubject"]["hasClaim"]
    conforms, text = _conforms(doc)
    assert conforms, text


def _shape(node: Any) -> dict[str, set[str]]:
    """Each class of ``node`` and the nodes below it, with the properties they hold (ids aside)."""
    found: dict[str, set[str]] = {}
    if isinstance(node, list):
        for item in node:
            for kind, keys in _shape(item).items():
                found.setdefault(kind, set()).update(keys)
    elif isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.setdefault(node["type"], set()).update(set(node) - {"id", "type"})
        for value in node.values():
            for kind, keys in _shape(value).items():
                found.setdefault(kind, set()).update(keys)
    return found


def test_the_claim_is_built_as_the_ec_sample_builds_it(reference: Path, tmp_path: Path) -> None:
    sample = json.loads(SAMPLE.read_text("utf-8"))
    ours = attended(load_catalogue(activity_catalogue(tmp_path)))
    theirs_claim, our_claim = sample["credentialSubject"]["hasClaim"], ours["credentialSubject"]["hasClaim"]
    assert our_claim["type"] == theirs_claim["type"]
    assert our_claim["specifiedBy"]["type"] == theirs_claim["specifiedBy"]["type"]
    assert [c["id"] for c in ours["credentialProfiles"]] == [sample["credentialProfiles"]["id"]]
    theirs, mine = _shape(theirs_claim), _shape(our_claim)
    # where the catalogue gives the data, the same properties; the sample's others (the activity's
    # dates, workload, director, type and documents) are facts a catalogue entry does not hold
    given = {"LearningActivity": {"title", "description", "awardedBy", "specifiedBy"},
             "LearningActivitySpecification": {"title", "volumeOfLearning", "mode", "language", "homepage"},
             "AwardingProcess": {"awardingBody"}}
    for kind, keys in given.items():
        assert keys <= theirs[kind], kind
        assert keys <= mine[kind], kind
    assert set(mine) - set(theirs) <= {"Identifier", "Note", "ContactPoint", "Mailbox", "LegalIdentifier"}


def _validate(store: SchemaStore, path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``edcbridge validate --json`` of this source tree, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "edcbridge", "validate", "--json", *options, str(path)],
                          capture_output=True, text=True, check=False,
                          env={"EDCBRIDGE_SCHEMAS": str(store.root), "PATH": "",
                               "PYTHONPATH": str(ROOT / "src")})


def test_edcbridge_validate_passes_an_activity(store: SchemaStore, tmp_path: Path) -> None:
    path = tmp_path / "webinar.jsonld"
    path.write_text(json.dumps(attended(load_catalogue(activity_catalogue(tmp_path)))), "utf-8")
    result = _validate(store, path)
    assert result.returncode == 0, result.stdout + result.stderr
    [report] = json.loads(result.stdout) if result.stdout.startswith("[") else [json.loads(result.stdout)]
    assert report["ok"] and not [f for f in report["findings"] if f["severity"] == "error"], report
    assert not [f for f in report["findings"] if f["code"].startswith("shacl")], report
    assert not [f for f in report["findings"] if f["code"] == "annex1.missing"], report
    assert not [f for f in report["findings"] if f["severity"] == "warning"], report


def test_the_eu_council_policy_does_not_judge_a_certificate_of_participation(
        store: SchemaStore, tmp_path: Path) -> None:
    path = tmp_path / "webinar.jsonld"
    path.write_text(json.dumps(attended(load_catalogue(activity_catalogue(tmp_path)))), "utf-8")
    result = _validate(store, path, "--policy", "eu-council")
    assert result.returncode == 0, result.stdout + result.stderr
    [report] = json.loads(result.stdout)
    judged = [f for f in report["findings"] if f["code"].startswith(("annex1.missing", "policy."))]
    assert not judged, report
    assert [f["severity"] for f in report["findings"] if f["code"] == "annex1.not-applicable"] == ["info"]


def test_the_preview_shows_an_activity_without_the_annex1_table(tmp_path: Path) -> None:
    html = render_html(attended(load_catalogue(activity_catalogue(tmp_path))))
    assert 'id="annex1"' not in html
    assert "not stated" not in html
    assert ">Learning activities<" in html and ">Achievements<" not in html


def test_a_credential_with_an_achievement_keeps_its_annex1_table(tmp_path: Path) -> None:
    doc = attended(load_catalogue(activity_catalogue(tmp_path)), "GAL-MC-PYDA")
    html = render_html(doc)
    assert 'id="annex1"' in html and ">Achievements<" in html
