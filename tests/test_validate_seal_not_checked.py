"""validate and validate-xml check a sealed credential's content only: their "OK" and "valid"
say so, in text and in --json, and point to the command that checks the seal (as inspect does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

SEALED = [("validate", "jades", "verify"), ("validate", "xades", "verify-xml"),
          ("validate-xml", "xades", "verify-xml")]


@pytest.fixture
def samples(reference: Path) -> dict[str, Path]:
    examples = reference / "examples"
    return {"jades": examples / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-signed.jsonld",
            "plain": examples / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-unsigned.jsonld",
            "xades": examples / "edci-1.7.3-xml" / "sealed" / "sampleQSEAL.xml",
            "xml": examples / "elm-repo-xml-v1.2-unsigned" / "EDC_WileECoyote_Simple.xml"}


def _run(args: list[str], store: SchemaStore) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("command", "kind", "verifier"), SEALED)
def test_a_sealed_file_is_said_to_be_checked_for_content_only(
        command: str, kind: str, verifier: str, samples: dict[str, Path], store: SchemaStore) -> None:
    code, out = _run([command, str(samples[kind])], store)
    first = out.splitlines()[0]
    assert code == 0, out
    assert "seal was not checked" in first and f"'edcbridge {verifier}" in first, first


@pytest.mark.parametrize(("command", "kind", "verifier"), SEALED)
def test_json_says_the_seal_was_not_checked(command: str, kind: str, verifier: str,
                                            samples: dict[str, Path], store: SchemaStore) -> None:
    code, out = _run([command, "--json", str(samples[kind])], store)
    [report] = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert report["sealed"] is True and report["seal_checked"] is False
    assert f"'edcbridge {verifier}" in report["seal_note"]


@pytest.mark.parametrize(("command", "kind"), [("validate", "plain"), ("validate", "xml"),
                                               ("validate-xml", "xml")])
def test_an_unsealed_file_is_said_to_have_no_seal(command: str, kind: str, samples: dict[str, Path],
                                                  store: SchemaStore) -> None:
    _code, out = _run([command, "--json", str(samples[kind])], store)
    [report] = json.loads(out)
    assert report["sealed"] is False and report["seal_checked"] is False
    _code, text = _run([command, str(samples[kind])], store)
    assert "seal was not checked" not in text.splitlines()[0]


@pytest.mark.parametrize("kind", ["xades", "xml"])
def test_validate_and_validate_xml_give_an_xml_file_the_same_line(kind: str, samples: dict[str, Path],
                                                                  store: SchemaStore) -> None:
    """The same document, the same XSD check: the same verdict word and line from either command."""
    _code, by_validate = _run(["validate", str(samples[kind])], store)
    _code, by_validate_xml = _run(["validate-xml", str(samples[kind])], store)
    assert by_validate_xml.splitlines()[0] == by_validate.splitlines()[0]
    assert by_validate.startswith("OK ")


@pytest.mark.parametrize(("kind", "verifier"), [("jades", "verify"), ("xades", "verify-xml")])
def test_inspect_json_says_the_seal_was_not_checked_as_validate_does(
        kind: str, verifier: str, samples: dict[str, Path], store: SchemaStore) -> None:
    _code, out = _run(["inspect", "--json", str(samples[kind])], store)
    read = json.loads(out)
    assert read["sealed"] is True and read["seal_checked"] is False
    assert f"'edcbridge {verifier}'" in read["seal_note"]
