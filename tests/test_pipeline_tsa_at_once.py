"""A run's worker asks the timestamp authority for the tokens of its batch at once: a seal at
B-T and above waits for a round trip to it, and one after another they would add up."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import subprocess
import threading
from pathlib import Path

import pytest
from asn1crypto import tsp
from lxml import etree

from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.seal.devpki import TestSeal, load_tsa_signer
from edcbridge.seal.jades import b64url_decode
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.sealing import SealFactory, demo_seal
from edcbridge.xml.xades import DS, XADES
from tests.conftest import FIXTURES, need_tool
from tests.tsa_support import Holding, press_ctrl_c_twice
from tests.xml_support import XMLSEC1_ID_ATTR

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"
AT_ONCE = 4  # requests the authority waits to hold together before it answers any


class _Gathering(TimestampAuthority):
    """Answers requests in rounds: once ``wanted`` wait together (or one has waited ``patience``
    seconds: one after another they never do), noting for each request's hash how many waited
    together."""

    def __init__(self, authority: TimestampAuthority, wanted: int, patience: float = 2.0) -> None:
        super().__init__(authority.signer)
        self.wanted, self.patience = wanted, patience
        self.answered = threading.Condition()
        self.round = self.in_round = self.asked = 0
        self.together: dict[bytes, int] = {}

    def respond(self, body: bytes) -> bytes:
        imprint = tsp.TimeStampReq.load(body)["message_imprint"]["hashed_message"].native
        with self.answered:
            self.asked += 1
            self.in_round += 1
            self.together[imprint] = self.in_round
            mine = self.round
            if self.in_round >= self.wanted:
                self.round, self.in_round = self.round + 1, 0
                self.answered.notify_all()
            elif not self.answered.wait_for(lambda: self.round != mine, self.patience):
                self.in_round -= 1  # answered alone: the next request starts the count again
        return super().respond(body)

    @property
    def most(self) -> int:
        return max(self.together.values(), default=0)


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


@pytest.mark.parametrize("level", ["B-T", "B-B"])
def test_a_worker_asks_for_its_batchs_timestamps_at_once(
        store: SchemaStore, seal: SealFactory, tmp_path: Path, level: str) -> None:
    authority = _Gathering(TimestampAuthority(load_tsa_signer(TestSeal.at(seal.p12.parent))), AT_ONCE)
    with DevServer(authority) as server:
        factory = dataclasses.replace(seal, level=level, tsa_url=server.tsa_url)
        result = run([Job(CATALOGUE, (AWARDS,))], RunOptions(
            out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1, seal=factory))
    assert result.failed == 0 and result.done >= AT_ONCE
    sealed = sorted((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))
    assert len(sealed) == result.done
    stamped = [_has_signature_timestamp(path) for path in sealed]
    if level == "B-B":  # asks no timestamp: the authority hears nothing
        assert authority.asked == 0 and not any(stamped)
    else:
        assert authority.most >= AT_ONCE and all(stamped)
        assert authority.asked == result.done  # one token a credential, none asked twice


def _has_signature_timestamp(path: Path) -> bool:
    signature = json.loads(path.read_text("utf-8"))["signatures"][0]
    entries = signature.get("header", {}).get("etsiU", [])
    return any("sigTst" in json.loads(b64url_decode(entry)) for entry in entries)


def test_a_second_ctrl_c_leaves_no_timestamp_request_for_the_exit_to_wait_for(
        store: SchemaStore, seal: SealFactory, tmp_path: Path) -> None:
    """With one worker the run seals in its own process: stopped at once by a second Ctrl-C
    while the authority holds its requests, it leaves no thread that Python's exit waits for
    (it would wait up to the timeout, 15 s, for the requests in flight)."""
    authority = Holding(TimestampAuthority(load_tsa_signer(TestSeal.at(seal.p12.parent))),
                        on_first=press_ctrl_c_twice)
    with DevServer(authority) as server:
        factory = dataclasses.replace(seal, level="B-T", tsa_url=server.tsa_url)
        try:
            with pytest.raises(KeyboardInterrupt):
                run([Job(CATALOGUE, (AWARDS,))], RunOptions(
                    out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1, seal=factory))
            waited_for = [thread.name for thread in threading.enumerate()
                          if not thread.daemon and thread is not threading.main_thread()]
            assert authority.held >= 1 and waited_for == []  # the requests still held
        finally:
            authority.released.set()


def test_edc_xml_timestamps_are_asked_for_at_once_and_verify_with_xmlsec1_and_openssl(
        store: SchemaStore, seal: SealFactory, tmp_path: Path) -> None:
    """The EDC XML export at B-T (XAdES): its signatures are made one by one, their timestamps
    asked for with the batch's others; each file still verifies with the tools of others."""
    test_seal = TestSeal.at(seal.p12.parent)
    authority = _Gathering(TimestampAuthority(load_tsa_signer(test_seal)), AT_ONCE)
    with DevServer(authority) as server:
        factory = dataclasses.replace(seal, level="B-T", tsa_url=server.tsa_url)
        result = run([Job(CATALOGUE, (AWARDS,))], RunOptions(
            out_dir=tmp_path / "out", store_root=store.root, formats=("edc-xml",), workers=1, seal=factory))
    sealed = sorted((tmp_path / "out" / "edc-xml").glob("*.xml"))
    assert result.failed == 0 and len(sealed) == result.done >= AT_ONCE
    xml_tokens = [path for path in sealed if _xml_token(path) is not None]
    json_tokens = len(list((tmp_path / "out" / "edc-sealed").glob("*.jsonld")))
    assert len(xml_tokens) == len(sealed) and authority.asked == len(sealed) + json_tokens
    xml_asked = [hashlib.sha256(_signature_value_c14n(path)).digest() for path in sealed]
    # one after another, no more than one ever waited
    assert max(authority.together[imprint] for imprint in xml_asked) >= AT_ONCE
    xmlsec1, openssl = need_tool("xmlsec1"), need_tool("openssl")
    pem = (tmp_path / "tsa.pem")
    pem.write_bytes(test_seal.tsa_cert.read_bytes())
    for path in sealed:
        checked = subprocess.run([xmlsec1, "--verify", *XMLSEC1_ID_ATTR, "--trusted-pem",
                                  str(test_seal.root_ca), str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        token, value = _xml_token(path), _signature_value_c14n(path)
        assert token is not None
        (tmp_path / "token.der").write_bytes(token)
        (tmp_path / "data").write_bytes(value)
        stamped = subprocess.run([openssl, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                                  "-data", str(tmp_path / "data"), "-CAfile", str(test_seal.root_ca),
                                  "-untrusted", str(pem)], capture_output=True, text=True)
        assert stamped.returncode == 0, stamped.stdout + stamped.stderr


def _xml_token(path: Path) -> bytes | None:
    found = etree.parse(str(path)).find(f".//{{{XADES}}}SignatureTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
    return base64.b64decode(found.text) if found is not None and found.text else None


def _signature_value_c14n(path: Path) -> bytes:
    """What the timestamp covers: the SignatureValue element, exclusive C14N (its
    CanonicalizationMethod), written by lxml."""
    value = etree.parse(str(path)).find(f".//{{{DS}}}SignatureValue")
    assert value is not None
    return etree.tostring(value, method="c14n", exclusive=True)
