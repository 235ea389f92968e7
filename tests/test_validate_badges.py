"""validate of the Open Badges and CLRs that `badges` writes into an output folder beside the EDC
files: each is checked against the official 1EdTech schemas (the VC-JWT's credential without the
JWT's registered claims), never against the EBSI EDC schema or Annex I, and its proof or
signature is named as not checked."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES
from tests.test_badges_signing import ed25519_seal, seal_options

SOFIA = FIXTURES / "sofia"


@pytest.fixture(scope="module")
def badges_out(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("badges")
    seal = seal_options(work, ed25519_seal(load_catalogue(SOFIA / "catalogue.yaml")))
    result = CliRunner(env={"EDCBRIDGE_SCHEMAS": str(store.root)}).invoke(
        main, ["badges", str(SOFIA / "awards.jsonl"), "-c", str(SOFIA / "catalogue.yaml"),
               "-o", str(work / "out"), *seal])
    assert result.exit_code == 0, result.output
    return work / "out"


def _validate(store: SchemaStore, *files: Path) -> Any:
    return CliRunner(env={"EDCBRIDGE_SCHEMAS": str(store.root)}).invoke(
        main, ["validate", "--json", *map(str, files)])


def _payload(token: Path) -> dict[str, Any]:
    part = token.read_text("ascii").split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def _official_schema(reference: Path, doc: dict[str, Any]) -> dict[str, Any]:
    name = ("schemas/clr-v2p0/clr_v2p0_clrcredential_schema.json" if "ClrCredential" in doc["type"]
            else "schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json")
    schema: dict[str, Any] = json.loads((reference / "ob3-clr" / name).read_text("utf-8"))
    return schema


def test_badges_and_clrs_of_the_folder_validate_against_the_1edtech_schemas(
        badges_out: Path, store: SchemaStore, reference: Path) -> None:
    files = sorted(badges_out.glob("*/*.json")) + sorted(badges_out.glob("*/*.jwt"))
    assert {path.parent.name for path in files} == {"ob3", "clr"}
    for path in files:  # the official schemas take each as it is (a .jwt: the credential it carries)
        doc = json.loads(path.read_bytes()) if path.suffix == ".json" else _payload(path)
        doc = {k: v for k, v in doc.items() if k not in ("iss", "jti", "nbf", "sub", "exp")}
        jsonschema.validate(doc, _official_schema(reference, doc))
    result = _validate(store, *files)
    reports = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    for path, report in zip(files, reports, strict=True):
        assert report["ok"], report
        assert report["checks"] == ["1edtech-schema"], report
        assert not any(f["code"].startswith(("ebsi.", "annex1.")) for f in report["findings"]), report
        assert report["sealed"] is True and report["seal_checked"] is False
        said = "VC-JWT signature" if path.suffix == ".jwt" else "Data Integrity proof"
        assert said in report["seal_note"]


def test_a_badge_the_official_schema_refuses_is_invalid_by_that_schema(
        badges_out: Path, store: SchemaStore, reference: Path, tmp_path: Path) -> None:
    doc = json.loads(next(badges_out.glob("ob3/*.json")).read_bytes())
    del doc["credentialSubject"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, _official_schema(reference, doc))
    broken = tmp_path / "badge.json"
    broken.write_text(json.dumps(doc), "utf-8")
    result = _validate(store, broken)
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    assert report["checks"] == ["1edtech-schema"]
    assert any("credentialSubject" in f["message"] for f in report["findings"]), report
