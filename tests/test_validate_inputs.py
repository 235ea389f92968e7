"""`edcbridge validate` on files as other issuers and their tools save them: encodings, seal
forms, files that are no credential, documents too large for JSON-LD processing."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.validation import validate_credential
from edcbridge.validation.document import NotACredential, read_credential

SAMPLE_32 = "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld"
SEALED_MC = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld"


def run_validate(store: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return CliRunner().invoke(main, ["validate", "--annex1", "off", *args])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_json_saved_as_unicode_text_is_read_as_json_allows(reference: Path, store: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           encoding: str) -> None:
    original = reference / SAMPLE_32
    saved = tmp_path / f"sample-{encoding}.jsonld"
    saved.write_bytes(original.read_text("utf-8").encode(encoding))
    assert read_credential(saved) == read_credential(original)
    result = run_validate(store, monkeypatch, "--json", str(saved))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["ok"] is True


def test_a_latin1_file_is_named_by_byte_and_line_with_the_fix(reference: Path, tmp_path: Path) -> None:
    text = (reference / SAMPLE_32).read_text("utf-8")
    at = text.index('"http://example.org/')
    latin1 = tmp_path / "latin1.jsonld"
    latin1.write_bytes((text[:at] + '"é' + text[at + 1:]).encode("latin-1"))
    with pytest.raises(NotACredential) as caught:
        read_credential(latin1)
    assert f"byte 0xe9 on line {text[:at].count(chr(10)) + 1}" in str(caught.value)
    assert "save it as UTF-8" in str(caught.value)


@pytest.mark.parametrize(("content", "expected"), [
    ("", "the file is empty"),
    ("  \n", "the file is empty"),
    ("[1, 2]", "a JSON array of 2 values, not one credential"),
    ('{"name": "x"}', 'upload wrapper {"credential": ...}'),
    ('{"payload": "", "signature": "c2ln"}', "a JAdES seal with a detached payload"),
    ('{"payload": "bm90IGpzb24", "signatures": []}', "JAdES payload is not JSON"),
])
def test_json_that_is_no_credential_says_what_it_is(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, "utf-8")
    with pytest.raises(NotACredential) as caught:
        read_credential(path)
    assert expected in str(caught.value)


def sealed_payload(reference: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The EC's sealed micro-credential and its payload, parsed."""
    sealed = json.loads((reference / SEALED_MC).read_text("utf-8"))
    return sealed, json.loads(sealed["payload"])


def test_flattened_jades_is_read_like_the_general_serialisation(reference: Path, tmp_path: Path) -> None:
    sealed, payload = sealed_payload(reference)
    signature = sealed["signatures"][0]
    flattened = tmp_path / "flattened.json"
    flattened.write_text(json.dumps({"payload": sealed["payload"], **signature}), "utf-8")
    assert read_credential(flattened) == (payload, "jades")


def test_base64url_payload_and_compact_jades_are_read(reference: Path, store: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sealed, payload = sealed_payload(reference)
    signature = sealed["signatures"][0]
    encoded = b64url(sealed["payload"].encode("utf-8"))
    general = tmp_path / "b64.json"
    general.write_text(json.dumps({"payload": encoded, "signatures": [signature]}), "utf-8")
    compact = tmp_path / "compact.jws"
    compact.write_text(f"{signature['protected']}.{encoded}.{signature['signature']}\n", "utf-8")
    assert read_credential(general) == (payload, "jades")
    assert read_credential(compact) == (payload, "jades")
    result = run_validate(store, monkeypatch, "--json", str(general), str(compact))
    assert result.exit_code == 0, result.output
    assert [r["ok"] for r in json.loads(result.stdout)] == [True, True]


def test_a_huge_array_is_refused_by_name_and_the_next_file_still_checked(
        reference: Path, store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads((reference / SAMPLE_32).read_text("utf-8"))
    doc["evidence"] = [{"id": f"urn:x:evidence:{n}", "type": "Evidence"} for n in range(2001)]
    huge = tmp_path / "huge.jsonld"
    huge.write_text(json.dumps(doc), "utf-8")
    monkeypatch.setenv("EDCBRIDGE_SHACL_ENGINE", "pyshacl")
    findings = validate_credential(doc, store, annex1=None).findings
    assert [(f.code, f.where) for f in findings if f.code.startswith("jsonld")] == [("jsonld.too-large", "$")]
    monkeypatch.delenv("EDCBRIDGE_SHACL_ENGINE")
    result = run_validate(store, monkeypatch, "--json", str(huge), str(reference / SAMPLE_32))
    reports = json.loads(result.stdout)
    assert result.exit_code == 1 and [r["ok"] for r in reports] == [False, True]
    messages = [f["message"] for f in reports[0]["findings"]]
    assert any("$.evidence holds 2001 values" in m for m in messages), messages


@pytest.mark.parametrize("schema_id", [["http://data.europa.eu/snb/model/ap/edc-generic-full"], {"x": 1}, 5])
def test_a_credential_schema_id_that_is_no_text_is_a_finding_not_a_crash(
        reference: Path, store: Any, schema_id: Any) -> None:
    doc = json.loads((reference / SAMPLE_32).read_text("utf-8"))
    doc["credentialSchema"] = {"id": schema_id, "type": "ShaclValidator2017"}
    report = validate_credential(doc, store, annex1=None)
    assert not report.ok
