import json
from pathlib import Path

import pytest

from edcbridge import vocab

SNAPSHOT = Path(__file__).resolve().parents[1] / "src" / "edcbridge" / "vocab" / "snapshot.json"


@pytest.mark.parametrize(("scheme", "value", "iri"), [
    ("language", "cy", "http://publications.europa.eu/resource/authority/language/CYM"),
    ("language", "WEL", "http://publications.europa.eu/resource/authority/language/CYM"),
    ("language", "ell", "http://publications.europa.eu/resource/authority/language/ELL"),
    ("language", "Irish", "http://publications.europa.eu/resource/authority/language/GLE"),
    ("country", "IE", "http://publications.europa.eu/resource/authority/country/IRL"),
    ("country", "bgr", "http://publications.europa.eu/resource/authority/country/BGR"),
    ("eqf", "6", "http://data.europa.eu/snb/eqf/6"),
    ("isced-f", "0688", "http://data.europa.eu/snb/isced-f/0688"),
    ("mode", "Blended", "http://data.europa.eu/snb/learning-assessment/e92d221e4d"),
    ("learning-setting", "non-formal", "http://data.europa.eu/snb/learning-setting/e207a81fc7"),
    ("credit-system", "ECTS", "http://data.europa.eu/snb/education-credit/6fcec5c5af"),
])
def test_resolves_codes_labels_and_iris(scheme: str, value: str, iri: str) -> None:
    assert vocab.resolve(scheme, value).iri == iri
    assert vocab.resolve(scheme, iri).iri == iri


def test_unknown_value_lists_close_matches() -> None:
    with pytest.raises(vocab.UnknownConcept) as caught:
        vocab.resolve("mode", "onlne")
    assert caught.value.suggestions[0] == "online"
    assert "did you mean" in str(caught.value)


@pytest.mark.parametrize(("enum", "scheme"), [
    (vocab.EQFLevel, "eqf"), (vocab.CreditSystem, "credit-system"),
    (vocab.CredentialType, "credential-type"), (vocab.LearningSetting, "learning-setting"),
    (vocab.Mode, "mode"), (vocab.Supervision, "supervision"), (vocab.Encoding, "encoding"),
])
def test_enums_are_valued_with_snapshot_iris(enum: type, scheme: str) -> None:
    iris = {c.iri for c in vocab.concepts(scheme)}
    assert {member.value for member in enum} <= iris


def test_snapshot_matches_the_official_code_lists(reference: Path) -> None:
    pytest.importorskip("pycountry")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_vocab", Path(__file__).resolve().parents[1] / "scripts" / "build_vocab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(reference)
    committed = json.loads(SNAPSHOT.read_text("utf-8"))
    assert committed == rebuilt
