"""A certificate of participation (``claim: activity``) in the other outputs: the EBSI profile
carries its LearningActivity and passes the EBSI EDC schema; EDC XML, Open Badges and LOQ, which
edcbridge writes for achievements only, refuse or leave out each such record, naming the format,
rather than write a wrong credential."""

from __future__ import annotations

from pathlib import Path

from edcbridge.badges.export import group_by_learner, write_ob3
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.validation.ebsi_schema import validate_ebsi
from edcbridge.xml.export import export_credential
from edcbridge.xml.loq import to_loq
from tests.test_catalogue_activity import _awards
from tests.test_mapping_activity import activity_catalogue, attended


def _pairs(tmp_path: Path) -> tuple[Catalogue, list[tuple[Award, Catalogue]]]:
    catalogue = load_catalogue(activity_catalogue(tmp_path))
    awards = [r.award for r in iter_awards(_awards(tmp_path), catalogue) if r.award is not None]
    return catalogue, [(award, catalogue) for award in awards]


def test_the_ebsi_profile_of_an_activity_passes_the_ebsi_schema(store: SchemaStore, tmp_path: Path) -> None:
    profile = to_ebsi(attended(load_catalogue(activity_catalogue(tmp_path))))
    assert profile["credentialSubject"]["hasClaim"]["type"] == "LearningActivity"
    assert validate_ebsi(profile, store) == []


def test_edc_xml_refuses_an_activity_naming_the_format(store: SchemaStore, tmp_path: Path) -> None:
    catalogue, pairs = _pairs(tmp_path)
    [activity] = [award for award, _ in pairs if award.specification == "GAL-WEBINAR"]
    xml, [finding] = export_credential(activity, catalogue, store)
    assert xml is None
    assert finding.severity == "error"
    assert finding.message.startswith("EDC XML 1.2: GAL-WEBINAR is an activity")
    other = next(award for award, _ in pairs if award.specification != "GAL-WEBINAR")
    assert export_credential(other, catalogue, store)[0] is not None


def test_open_badges_refuse_an_activity_and_leave_it_out_of_the_clr(tmp_path: Path) -> None:
    _, pairs = _pairs(tmp_path)
    outputs = write_ob3(pairs, tmp_path / "ob3", validate=False)
    assert list(outputs.failed) == ["galway_W1.json"]
    [finding] = outputs.failed["galway_W1.json"]
    assert finding.message.startswith("Open Badges 3.0: ") and "claim: activity" in finding.message
    assert not (tmp_path / "ob3" / "galway_W1.json").exists()
    assert len(outputs.written) == len(pairs) - 1
    held = [award.award_id for group in group_by_learner(pairs).values() for award, _ in group]
    assert "W1" not in held and len(held) == len(pairs) - 1


def test_loq_leaves_an_activity_out_with_a_warning(tmp_path: Path) -> None:
    result = to_loq(load_catalogue(activity_catalogue(tmp_path)))
    assert "GAL-WEBINAR" not in result.specifications and result.specifications
    [skipped] = [f for f in result.findings if f.where == "specifications[GAL-WEBINAR]"]
    assert skipped.code == "loq-skipped" and "claim: activity" in skipped.message
