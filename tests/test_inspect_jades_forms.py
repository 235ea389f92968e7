"""inspect reads a JAdES seal in each JWS serialisation, as validate does: general, flattened
and compact (``header.payload.signature``, the payload in base64url)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import click
from click.testing import CliRunner

from edcbridge.xml.cli import register as register_xml

SEALED_MC = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")


@click.group()
def main() -> None:
    """The reading commands."""


register_xml(main)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _inspect(path: Path) -> dict[str, object]:
    result = CliRunner().invoke(main, ["inspect", "--json", str(path)])
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_inspect_reads_a_compact_jades_as_the_general_serialisation(reference: Path, tmp_path: Path) -> None:
    sealed = json.loads((reference / SEALED_MC).read_text("utf-8"))
    signature = sealed["signatures"][0]
    compact = tmp_path / "compact.jws"
    compact.write_text(f"{signature['protected']}.{_b64url(sealed['payload'].encode('utf-8'))}."
                       f"{signature['signature']}\n", "utf-8")
    flattened = tmp_path / "flattened.json"
    flattened.write_text(json.dumps({"payload": sealed["payload"], **signature}), "utf-8")
    general = _inspect(reference / SEALED_MC)
    assert _inspect(compact) == general
    assert _inspect(flattened) == general
    text = CliRunner().invoke(main, ["inspect", str(compact)]).stdout
    assert text.startswith("format:      edc-jsonld (jades; signature present, not verified")


def test_the_preview_reads_a_compact_jades_too(reference: Path, tmp_path: Path) -> None:
    from edcbridge.preview import preview_file

    sealed = json.loads((reference / SEALED_MC).read_text("utf-8"))
    signature = sealed["signatures"][0]
    compact = tmp_path / "compact.jws"
    compact.write_text(f"{signature['protected']}.{_b64url(sealed['payload'].encode('utf-8'))}."
                       f"{signature['signature']}\n", "utf-8")
    html = preview_file(compact, tmp_path / "pages").html.read_text("utf-8")
    assert "Seal: " in html.split("<h1", 1)[0]
