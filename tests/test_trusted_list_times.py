"""verify --trusted-list judges a service's status at the signing time a signature timestamp
proves (B-T and above), else at verification time, never at the one the seal claims, and says
which: a seal back-dated to before its CA's withdrawal is not confirmed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.seal import devpki, sealer
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool, seal_commands
from tests.trusted_list_files import GRANTED, WITHDRAWN, Service, new_signer, sign, trusted_list

NOW = datetime.now(UTC).replace(microsecond=0)
CLAIMED = NOW - timedelta(days=100)  # before the withdrawal, 60 days ago
PAYLOAD = '{"id": "urn:credential:tl-times", "type": ["VerifiableCredential"]}'
XML = (b'<?xml version="1.0" encoding="UTF-8"?><europassCredential xmlns="http://data.europa.eu/snb">'
       b"<title>tl</title><proof/></europassCredential>")


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=200))


@pytest.fixture(scope="module")
def tsa(pki: devpki.DevPki) -> Iterator[TsaClient]:
    """A timestamp authority under the PKI's root whose clock says now."""
    with DevServer(TimestampAuthority(pki.tsa_signer(), clock=lambda: NOW)) as server:
        yield TsaClient(server.tsa_url, timeout=5)


@pytest.fixture(scope="module")
def world(pki: devpki.DevPki, tsa: TsaClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A list naming the PKI's root withdrawn 60 days ago, and seals claiming 100 days ago: JAdES
    and XAdES, each with (B-T) and without (B-B) a timestamp made now."""
    need_tool("xmlsec1")
    folder = tmp_path_factory.mktemp("tl-times")
    signer = new_signer("EDCBRIDGE TEST TL signer")
    history = [(WITHDRAWN, NOW - timedelta(days=60)), (GRANTED, NOW - timedelta(days=400))]
    listed = folder / "tl.xml"
    listed.write_bytes(sign(trusted_list("FR", [Service("EDCBRIDGE TEST withdrawn CA", pki.root.certificate,
                                                        history)]), signer, folder))
    _, pinned = signer.write(folder, "pinned")
    key = SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    files = {"tl": listed, "signer": pinned}
    with pytest.MonkeyPatch.context() as patch:  # a back-dating sealer ignores its TSA's clock
        patch.setattr(sealer, "CLOCK_SKEW", timedelta(days=365))
        for level, stamper in (("b-b", None), ("b-t", tsa)):
            jades, xades = folder / f"{level}.jsonld", folder / f"{level}.xml"
            made = Sealer(key, tsa=stamper, fetch_revocation=False, clock=lambda: CLAIMED).seal(PAYLOAD)
            jades.write_text(made, encoding="utf-8")
            xades.write_bytes(XadesSealer(key, tsa=stamper).seal_bytes(XML, signing_time=CLAIMED))
            files[f"jades {level}"], files[f"xades {level}"] = jades, xades
    return files


def _verify(world: dict[str, Path], name: str) -> Result:
    return CliRunner().invoke(seal_commands(), ["verify", "--json", str(world[name]), "--trusted-list",
                                                str(world["tl"]), "--tl-signer", str(world["signer"])])


@pytest.mark.parametrize("kind", ["jades", "xades"])
def test_a_backdated_timestamped_seal_is_judged_at_the_proven_time(world: dict[str, Path], kind: str) -> None:
    result = _verify(world, f"{kind} b-t")
    report = json.loads(result.stdout)[0]
    assert report["verdict"] == "INVALID" and result.exit_code == 1
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == "ERROR" and "withdrawn since" in line["reason"]
    assert "the signing time the signature timestamp proves" in line["reason"]
    assert NOW.strftime("%Y-%m-%dT%H:%M:%SZ") in line["reason"]


@pytest.mark.parametrize("kind", ["jades", "xades"])
def test_an_untimestamped_seal_is_judged_at_verification_time_not_its_claimed_one(world: dict[str, Path],
                                                                                  kind: str) -> None:
    """The signing time a seal claims is the signer's to choose: claiming one before its CA's
    withdrawal must not revive the CA, as it does not revive an expired certificate."""
    result = _verify(world, f"{kind} b-b")
    report = json.loads(result.stdout)[0]
    assert report["verdict"] == "INVALID" and result.exit_code == 1
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == "ERROR" and "withdrawn since" in line["reason"]
    assert "verification time" in line["reason"]
    assert CLAIMED.strftime("%Y-%m-%dT%H:%M:%SZ") not in line["reason"]
