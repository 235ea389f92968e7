"""validate FILE.jwt: the EBSI profile signed as a JWT is validated as its unsigned .json is (the
EBSI EDC JSON Schema), saying its signature was not checked and how verify checks it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from tests.test_ebsi_jwt import KID, _export, _key_files


@pytest.fixture
def schemas(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> SchemaStore:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return store


def _validate(path: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["validate", "--json", str(path)])
    return result.exit_code, json.loads(result.stdout)[0]


def _token(tmp_path: Path) -> Path:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    return sorted((tmp_path / "out/ebsi").glob("*.jwt"))[0]


def test_a_jwt_is_validated_as_its_json_saying_the_signature_was_not_checked(schemas: SchemaStore,
                                                                           tmp_path: Path) -> None:
    token = _token(tmp_path)
    code, report = _validate(token)
    json_code, unsigned = _validate(token.with_suffix(".json"))
    assert code == json_code == 0
    assert "ebsi-json-schema" in report["checks"] and report["checks"] == unsigned["checks"]
    assert report["findings"] == unsigned["findings"]
    assert report["sealed"] is True and report["seal_checked"] is False
    assert report["seal_note"] == (
        "only the content was validated, the JWT's signature was not checked: run "
        "'edcbridge verify FILE --did-document DID-DOCUMENT.json' before relying on it")
    printed = CliRunner().invoke(main, ["validate", str(token)])
    assert printed.exit_code == 0 and "the JWT's signature was not checked" in printed.stdout


def test_a_jwt_whose_credential_breaks_the_ebsi_schema_fails(schemas: SchemaStore, tmp_path: Path) -> None:
    token = _token(tmp_path)
    head, body, signature = token.read_text("ascii").split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["validFrom"] = "not a date"
    changed = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    broken = tmp_path / "broken.jwt"
    broken.write_text(f"{head}.{changed}.{signature}", "ascii")
    code, report = _validate(broken)
    assert code == 1 and not report["ok"]
    errors = [f["where"] + " " + f["message"] for f in report["findings"] if f["severity"] == "error"]
    assert any("validFrom" in error for error in errors), errors
