"""A re-run redoes a record when what of the catalogue its credential carries changed, and only
then: an organisation (or quality assurance) no credential names redoes nothing, one a
credential names redoes exactly the records whose files name it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge import vocab
from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, Learner
from edcbridge.model.records import parse
from edcbridge.pipeline.catalogue_part import CatalogueParts
from edcbridge.xml.edc12 import serialise, to_edc_xml
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"
FORMATS = ("--format", "edc", "--format", "edc-xml")

PARTNER = """  partner:
    legal_name: {en: Partner Institute of Health Analytics}
    eidas_identifier: NTRGB-PARTNER1
    registration: PARTNER1
    country: GB
    address: {en: "1 Partner Street, London, United Kingdom"}
"""
UNUSED = """  unused:
    legal_name: {en: An Organisation No Course Names}
    registration: UNUSED1
    country: IE
"""
UNUSED_QA = """  unused-review:
    title: {en: A Review No Course Names}
    type: institutional quality assurance
    agency: unused
"""


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _catalogue(path: Path, organisations: str = PARTNER, quality_assurance: str = "") -> Path:
    """The imperial catalogue with ``organisations`` added, its Climate Risk Analytics awarded by
    the partner (so the certificate it is part of names the partner too)."""
    text = CATALOGUE.read_text("utf-8")
    text = text.replace("\nquality_assurance:\n", f"{organisations}\nquality_assurance:\n", 1)
    text = text.replace("\nspecifications:\n", f"{quality_assurance}\nspecifications:\n", 1)
    text = text.replace("  - code: IMP-MC-CRA\n", "  - code: IMP-MC-CRA\n    awarding_body: partner\n", 1)
    path.write_text(text, "utf-8")
    return path


def _awards(path: Path) -> Path:
    """The imperial awards, the first also issued by the partner (its own issuer)."""
    with AWARDS.open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0], "issuer"])
        writer.writeheader()
        writer.writerows({**row, "issuer": "partner" if index == 0 else ""} for index, row in enumerate(rows))
    return path


def _export(awards: Path, catalogue: Path, out: Path) -> tuple[set[str], dict[str, object]]:
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out),
                                       "-j", "1", *FORMATS])
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    return set(result.stdout.splitlines()), report


def _files(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for folder in ("edc", "edc-xml")
            for path in sorted((out / folder).iterdir())}


def test_an_organisation_no_credential_names_redoes_nothing(env: None, tmp_path: Path) -> None:
    awards, out = _awards(tmp_path / "awards.csv"), tmp_path / "out"
    catalogue = _catalogue(tmp_path / "catalogue.yaml")
    written, report = _export(awards, catalogue, out)
    assert report["done"] == 9 and len(written) == 18
    before = {path: (out / path).stat().st_mtime_ns for path in _files(out)}
    _catalogue(catalogue, PARTNER + UNUSED, UNUSED_QA)
    written, report = _export(awards, catalogue, out)
    assert written == set() and (report["skipped"], report["redone"]) == (9, 0)
    assert {path: (out / path).stat().st_mtime_ns for path in _files(out)} == before  # none resealed


def test_a_named_organisation_changed_redoes_exactly_the_records_naming_it(env: None, tmp_path: Path) -> None:
    awards, out = _awards(tmp_path / "awards.csv"), tmp_path / "out"
    catalogue = _catalogue(tmp_path / "catalogue.yaml")
    _export(awards, catalogue, out)
    before = _files(out)
    naming = {path for path, data in before.items() if b"Partner Institute of Health Analytics" in data}
    # the partner's own award, those of the course it awards and of the certificate that has it as a part
    assert {Path(path).stem.split("_", 1)[1] for path in naming} == \
        {"IMP-2025-000101", "IMP-2025-000103", "IMP-2025-000104", "IMP-2026-000009", "IMP-2026-000008"}
    changed = PARTNER.replace("Partner Institute", "Partner College") \
        .replace("NTRGB-PARTNER1", "NTRGB-PARTNER2").replace("1 Partner Street", "2 Partner Road")
    _catalogue(catalogue, changed + UNUSED)
    written, report = _export(awards, catalogue, out)
    after = _files(out)
    assert {str(Path(path).relative_to(out)) for path in written} == naming
    assert {path for path in after if after[path] != before[path]} == naming  # the files differ
    assert all(b"Partner College" in after[path] and b"2 Partner Road" in after[path] for path in naming)
    records = report["records"]
    assert isinstance(records, list)
    assert {r["redone"] for r in records if r["status"] == "done"} == {"its part of the catalogue changed"}


def test_a_loq_document_the_changed_catalogue_no_longer_gives_is_named(env: None, tmp_path: Path) -> None:
    """A run without --format loq leaves the LOQ document of an earlier run as it is: when the
    catalogue changed since, a note says that it describes the catalogue as it was."""
    catalogue, out = tmp_path / "catalogue.yaml", tmp_path / "out"
    catalogue.write_text(CATALOGUE.read_text("utf-8"), "utf-8")
    run = ["export", str(AWARDS), "-c", str(catalogue), "-o", str(out), "-j", "1"]
    assert CliRunner().invoke(main, [*run, "--format", "edc", "--format", "loq"]).exit_code == 0
    document = out / "loq" / "imperial.xml"
    result = CliRunner().invoke(main, run)  # the same catalogue: nothing to say
    assert result.exit_code == 0 and str(document) not in result.stderr, result.stderr
    renamed = CATALOGUE.read_text("utf-8").replace("Climate Risk Analytics}", "Climate Risk}")
    catalogue.write_text(renamed, "utf-8")
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.stderr
    notes = json.loads((out / "report.json").read_text("utf-8"))["notes"]
    (note,) = [note for note in notes if str(document) in note]
    assert "describes the catalogue as it was" in note and note in result.stderr, note
    assert CliRunner().invoke(main, [*run, "--format", "edc", "--format", "loq"]).exit_code == 0
    result = CliRunner().invoke(main, run)  # made again from the catalogue as it is
    assert result.exit_code == 0 and str(document) not in result.stderr, result.stderr


def test_a_run_with_no_loq_document_does_not_load_the_loq_export(store, tmp_path: Path) -> None:
    """Whether an earlier LOQ document is outdated is asked only of one in the folder: a run
    without one, and without --format loq, does not load the LOQ export (nor its XML Schema
    library) before its first award."""
    out = tmp_path / "out"
    script = ("import sys\nfrom pathlib import Path\n"
              "from edcbridge.pipeline import Job, RunOptions, run\n"
              f"result = run([Job(Path({str(CATALOGUE)!r}), (Path({str(AWARDS)!r}),))], "
              f"RunOptions(out_dir=Path({str(out)!r}), store_root=Path({str(store.root)!r})))\n"
              "loaded = sorted(m for m in sys.modules if m in ('edcbridge.xml.export', 'edcbridge.xml.loq', "
              "'xmlschema'))\n"
              "print('DONE', result.done, 'LOADED', loaded)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert "LOADED []" in done.stdout and "DONE 0" not in done.stdout, done.stdout + done.stderr


def _marked(catalogue: Catalogue, kind: str, key: str) -> Catalogue:
    """``catalogue`` with the name of its organisation (or the title of its quality assurance)
    ``key`` changed to hold a mark."""
    data = catalogue.model_dump(mode="json")
    field = "legal_name" if kind == "organisations" else "title"
    for record in data[kind]:
        if record["key"] == key:
            record[field] = {lang: f"{text} ZZMARK" for lang, text in record[field].items()}
    return parse(Catalogue, data)


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.iterdir()
                                        if (path / "catalogue.yaml").exists()))
def test_a_records_part_of_the_catalogue_is_what_its_credential_carries(name: str) -> None:
    """For every course and issuer of each demo catalogue (with an organisation and a review
    added that nothing names): changing an organisation or quality assurance changes the digest
    exactly when it changes the credential, in EDC JSON-LD or EDC XML (the catalogue's issuer,
    whose key fills in for an awarding body not given, is part of every record's)."""
    data = load_catalogue(FIXTURES / name / "catalogue.yaml").model_dump(mode="json")
    data["organisations"].append({"key": "unused", "legal_name": {"en": "Nobody's"}, "country": "IE"})
    data["quality_assurance"].append({"key": "unused-review", "title": {"en": "Nobody's review"},
                                      "type": "institutional quality assurance", "agency": "unused"})
    catalogue = parse(Catalogue, data)
    language = vocab.concept("language", catalogue.primary_language).code
    learner = Learner(id="1", given_name={language: "A"}, family_name={language: "B"})
    parts = CatalogueParts(catalogue)
    changes = [("organisations", org.key) for org in catalogue.organisations] + \
        [("quality_assurance", qa.key) for qa in catalogue.quality_assurance]
    assert ("organisations", "unused") in changes and ("quality_assurance", "unused-review") in changes
    for spec in catalogue.specifications:
        for issuer in (None, *(org.key for org in catalogue.organisations)):
            award = Award(award_id="A-1", specification=spec.code, learner=learner,
                          awarding_date=dt.date(2025, 7, 1), issuer=issuer)
            for kind, key in changes:
                marked = _marked(catalogue, kind, key)
                carried = "ZZMARK" in json.dumps(to_edc(award, marked), ensure_ascii=False)
                if not spec.is_activity:
                    carried |= b"ZZMARK" in serialise(to_edc_xml(award, marked))
                changed = CatalogueParts(marked).digest(spec.code, issuer) != parts.digest(spec.code, issuer)
                issuers = (kind, key) == ("organisations", catalogue.issuer)  # in every record's part
                assert changed == (carried or issuers), (spec.code, issuer, kind, key)

