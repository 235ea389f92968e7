"""preview of the EBSI profile's JWT (export --ebsi-key): its signature is made with a key of the
issuer's DID document, which preview is not given, so an intact token is a CHECK (not checked
here), never INVALID; a token shown wrong (another typ) stays INVALID. npm jose confirms the
token is intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from tests.test_ebsi_jwt import KID, _export, _key_files, _peer_verify
from tests.test_ebsi_jwt_verify import _part, _resigned


@pytest.fixture
def schemas(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> SchemaStore:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return store


def _preview(out: Path, *files: Path) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(main, ["preview", "--json", "--out", str(out), *map(str, files)])
    return result.exit_code, json.loads(result.stdout)


def test_an_intact_ebsi_jwt_is_not_called_invalid(schemas: SchemaStore, tmp_path: Path) -> None:
    private, public = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    token = sorted((tmp_path / "out/ebsi").glob("*.jwt"))[0]
    assert _peer_verify(token, public).returncode == 0
    code, (page,) = _preview(tmp_path / "pages", token)
    assert page["verdict"] == "CHECK", page
    assert page["seal"]["SEAL"]["status"] == "ERROR"
    assert "cannot be checked here" in page["seal"]["SEAL"]["reason"]
    assert "--did-document" in page["seal"]["SEAL"]["reason"]
    assert page["seal"]["FORMAT"]["status"] == "OK"
    html = Path(page["html"]).read_text("utf-8")
    assert "<title>Seal: CHECK" in html and "INVALID" not in html
    assert code == 1  # as verify without the DID document: the signature is not confirmed

    head = token.read_text("ascii").strip().split(".")[0]
    other = tmp_path / "other.jwt"
    other.write_text(_resigned(token.read_text("ascii").strip(), private,
                               header={**_part(head), "typ": "JWT"}), "ascii")
    code, (page,) = _preview(tmp_path / "pages", other)
    assert page["verdict"] == "INVALID", page


def test_the_ebsi_jwt_has_its_own_form_in_preview_and_inspect_naming_the_did_document(
        schemas: SchemaStore, tmp_path: Path) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    token = sorted((tmp_path / "out/ebsi").glob("*.jwt"))[0]
    _, (page, plain) = _preview(tmp_path / "pages", token, token.with_suffix(".json"))
    assert (page["form"], plain["form"]) == ("jwt", "plain"), (page, plain)
    inspected = CliRunner().invoke(main, ["inspect", "--json", str(token)])
    assert inspected.exit_code == 0, inspected.output
    read = json.loads(inspected.stdout)
    assert (read["form"], read["sealed"], read["seal_checked"]) == ("jwt", True, False)
    assert "edcbridge verify FILE --did-document DID-DOCUMENT.json" in read["seal_note"]
    text = CliRunner().invoke(main, ["inspect", str(token)])
    assert "(jwt; signature present, not verified: run 'edcbridge verify FILE --did-document" in text.stdout
