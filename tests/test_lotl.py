"""verify --trusted-list with the EU List of Trusted Lists over HTTP: the LOTL's signature is
checked against --lotl-signer, the national lists it points to are fetched from a server on
127.0.0.1, each checked against the certificates the LOTL publishes for it, and kept in the cache
home with their fetch time."""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import Sealer
from tests.conftest import seal_commands
from tests.tls_support import closed_port, https_server, self_signed, silent_proxy
from tests.trusted_list_files import (
    GRANTED,
    LOTL,
    TSL_MIME,
    WITHDRAWN,
    Service,
    new_signer,
    sign,
    trusted_list,
)

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:lotl", "type": ["VerifiableCredential"]}'


class _Handler(SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, *args: object) -> None:
        self.requested.append(self.path)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[str]]]:
    """A folder served over HTTP on 127.0.0.1, its base URL and the paths requested."""
    folder = tmp_path_factory.mktemp("served")
    requested: list[str] = []
    handler = type("Handler", (_Handler,), {"requested": requested})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()
    server.server_close()


def _sealed(pki: devpki.DevPki, path: Path) -> Path:
    key = SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    path.write_text(Sealer(key, fetch_revocation=False, clock=lambda: NOW).seal(PAYLOAD), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(served: tuple[Path, str, list[str]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A LOTL pointing to BE (a granted CA/QC) and FR (one withdrawn before the signing time), and a
    PDF copy of BE's list that is never fetched."""
    folder, base, _ = served
    work = tmp_path_factory.mktemp("lotl")
    be, fr = devpki.generate(now=NOW - timedelta(days=30)), devpki.generate(now=NOW - timedelta(days=30))
    be_signer, fr_signer, lotl_signer = (new_signer(f"TEST {n} signer") for n in ("BE", "FR", "LOTL"))
    since = NOW - timedelta(days=400)
    granted = Service("EDCBRIDGE TEST BE qualified CA", be.root.certificate, [(GRANTED, since)])
    (folder / "be.xml").write_bytes(sign(trusted_list("BE", [granted]), be_signer, work))
    (folder / "fr.xml").write_bytes(sign(trusted_list(
        "FR", [Service("EDCBRIDGE TEST FR former CA", fr.root.certificate,
                       [(WITHDRAWN, NOW - timedelta(days=60)), (GRANTED, since)])]), fr_signer, work))
    pointers = [(f"{base}/be.xml", "BE", be_signer.certificate, TSL_MIME),
                (f"{base}/be.pdf", "BE", be_signer.certificate, "application/pdf"),
                (f"{base}/fr.xml", "FR", fr_signer.certificate, TSL_MIME)]
    (folder / "lotl.xml").write_bytes(sign(trusted_list("EU", [], tsl_type=LOTL, pointers=pointers),
                                           lotl_signer, work))
    _, pinned = lotl_signer.write(work, "lotl-pinned")
    return {"folder": folder, "lotl": f"{base}/lotl.xml", "signer": pinned,
            "be": _sealed(be, work / "be.jsonld"), "fr": _sealed(fr, work / "fr.jsonld")}


def _verify(cache: Path, *args: str | Path) -> Result:
    return CliRunner(env={"XDG_CACHE_HOME": str(cache)}).invoke(
        seal_commands(), ["verify", "--json", *map(str, args)])


def _through_lotl(world: dict, cache: Path, seal: str) -> Result:
    return _verify(cache, world[seal], "--trusted-list", world["lotl"], "--lotl-signer", world["signer"])


def _report(result: Result) -> dict[str, object]:
    reports = json.loads(result.stdout)
    report: dict[str, object] = reports[0]
    return report


def test_the_lotl_leads_to_a_granted_national_service(world: dict, served: tuple, tmp_path: Path) -> None:
    _, _, requested = served
    requested.clear()
    result = _through_lotl(world, tmp_path, "be")
    assert result.exit_code == 0, result.output
    report = _report(result)
    assert report["verdict"] == "VALID"
    assert report["trusted_list"]["country"] == "BE" and report["trusted_list"]["qualified"] is True
    assert "trusted list of BE" in report["checks"]["TRUSTLIST"]["reason"]
    assert "/be.pdf" not in " ".join(requested)  # pointers to other formats are not followed
    assert {"/lotl.xml", "/be.xml", "/fr.xml"} <= set(requested)


def test_a_service_the_lotl_leads_to_withdrawn_before_signing_confirms_nothing(world: dict,
                                                                                 tmp_path: Path) -> None:
    result = _through_lotl(world, tmp_path, "fr")
    report = _report(result)
    assert report["verdict"] != "VALID" and result.exit_code == 1
    assert "withdrawn since" in report["checks"]["TRUSTLIST"]["reason"]


def test_without_lotl_signer_the_lotl_gives_no_valid_verdict(world: dict, tmp_path: Path) -> None:
    result = _verify(tmp_path, world["be"], "--trusted-list", world["lotl"])
    assert _report(result)["verdict"] == "UNCONFIRMED"
    assert "List of Trusted Lists is not authenticated" in result.stderr


def test_a_changed_national_list_gives_no_anchor(world: dict, tmp_path: Path) -> None:
    good = (world["folder"] / "be.xml").read_bytes()
    (world["folder"] / "be.xml").write_bytes(good.replace(b"BE qualified CA", b"BE qualifying CA"))
    try:
        result = _through_lotl(world, tmp_path, "be")
    finally:
        (world["folder"] / "be.xml").write_bytes(good)
    assert _report(result)["verdict"] != "VALID"
    assert "be.xml: the trusted list is refused" in result.stderr
    assert "certificates the LOTL publishes for BE" in result.stderr


def test_fetched_lists_are_cached_with_their_fetch_time(world: dict, tmp_path: Path) -> None:
    _through_lotl(world, tmp_path, "be")
    cached = [json.loads(p.read_text()) for p in (tmp_path / "edcbridge" / "trusted-lists").glob("*.json")]
    assert {entry["url"].rsplit("/", 1)[1] for entry in cached} == {"lotl.xml", "be.xml", "fr.xml"}
    assert all(datetime.fromisoformat(entry["fetched"]) >= NOW for entry in cached)
    gone = (world["folder"] / "be.xml").read_bytes()
    (world["folder"] / "be.xml").unlink()
    try:
        again = _through_lotl(world, tmp_path, "be")
    finally:
        (world["folder"] / "be.xml").write_bytes(gone)
    assert _report(again)["verdict"] == "VALID"
    assert "be.xml cannot be fetched" in again.stderr and "the copy fetched at" in again.stderr


def test_the_lotls_pointer_to_itself_is_not_followed(served: tuple[Path, str, list[str]], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The EU LOTL lists itself among its pointers: it is read once, and named once."""
    from edcbridge.trust.lotl import Signers, load

    folder, base, requested = served
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    be_signer, lotl_signer = new_signer("TEST BE signer"), new_signer("TEST LOTL signer")
    service = Service("EDCBRIDGE TEST BE CA", devpki.generate().root.certificate,
                      [(GRANTED, NOW - timedelta(days=400))])
    (folder / "be-self.xml").write_bytes(sign(trusted_list("BE", [service]), be_signer, tmp_path))
    pointers = [(f"{base}/self-lotl.xml", "EU", lotl_signer.certificate, TSL_MIME),
                (f"{base}/be-self.xml", "BE", be_signer.certificate, TSL_MIME)]
    (folder / "self-lotl.xml").write_bytes(sign(trusted_list("EU", [], tsl_type=LOTL, pointers=pointers),
                                                lotl_signer, tmp_path))
    requested.clear()
    loaded = load([f"{base}/self-lotl.xml"], Signers(lotl=(lotl_signer.certificate,)))
    assert requested.count("/self-lotl.xml") == 1
    assert [entry["territory"] for entry in loaded.lists] == ["EU", "BE"]


def test_a_trusted_list_whose_server_certificate_is_not_trusted_gets_the_ca_bundle_advice(
        world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy inspecting TLS, say: the setting named makes the LOTL's server trusted."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert_file, key_file = self_signed(tmp_path)
    with https_server(world["folder"], (cert_file, key_file)) as url:
        lotl = ("--trusted-list", f"{url}/lotl.xml", "--lotl-signer", world["signer"])
        untrusted = _verify(tmp_path / "untrusted", world["be"], *lotl)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        trusted = _verify(tmp_path / "trusted", world["be"], *lotl)
    assert untrusted.exit_code == 2
    assert "no copy is cached: the server's TLS certificate could not be verified" in untrusted.stderr
    assert "point REQUESTS_CA_BUNDLE at the proxy's CA certificate; otherwise check the --trusted-list URL" \
        in untrusted.stderr
    assert _report(trusted)["verdict"] == "VALID", trusted.output


def test_a_national_list_whose_server_does_not_speak_tls_names_the_lotls_pointer(
        served: tuple[Path, str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The URL is the LOTL's, not the user's: the way to it is what can be checked."""
    from edcbridge.trust.lotl import Signers, load

    folder, base, _ = served
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    be_signer, lotl_signer = new_signer("TEST BE signer"), new_signer("TEST LOTL signer")
    with https_server(tmp_path, None) as plain:
        pointers = [(f"{plain}/be.xml", "BE", be_signer.certificate, TSL_MIME)]
        (folder / "plain-lotl.xml").write_bytes(sign(trusted_list("EU", [], tsl_type=LOTL, pointers=pointers),
                                                     lotl_signer, tmp_path))
        loaded = load([f"{base}/plain-lotl.xml"], Signers(lotl=(lotl_signer.certificate,)))
    note = next(note for note in loaded.notes if "be.xml" in note)
    assert "the server does not speak TLS at that address" in note
    assert "the URL is the LOTL's pointer" in note and "proxy variables" in note
    assert "REQUESTS_CA_BUNDLE" not in note and "--trusted-list" not in note


def test_a_trusted_list_refusing_the_connection_names_the_network_and_the_proxy(
        world: dict[str, Any], tmp_path: Path) -> None:
    result = _verify(tmp_path, world["be"], "--trusted-list", f"http://127.0.0.1:{closed_port()}/lotl.xml",
                     "--lotl-signer", world["signer"])
    assert result.exit_code == 2
    assert "the connection was refused" in result.stderr
    assert ("check the network connection and the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) "
            "and the --trusted-list URL") in result.stderr
    assert "REQUESTS_CA_BUNDLE" not in result.stderr


def test_a_trusted_list_behind_a_proxy_that_does_not_answer_names_the_proxy_and_its_variable(
        world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = silent_proxy(monkeypatch, "HTTPS_PROXY")
    result = _verify(tmp_path, world["be"], "--trusted-list", "https://tl.invalid/lotl.xml",
                     "--lotl-signer", world["signer"])
    assert result.exit_code == 2
    assert f"the proxy {proxy} (set by HTTPS_PROXY) did not answer or refused the connection" in result.stderr
    assert "check HTTPS_PROXY, or add the host to NO_PROXY" in result.stderr
    assert "s3cret" not in result.stderr


_STORE_CUT_SHORT = """
import resource, signal, sys
from edcbridge.trust import lotl
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the disk fills while the list is written
lotl._store(sys.argv[1], b"<b/>" * 100_000, "2026-02-02T00:00:00Z")
"""


def test_a_list_cut_short_while_cached_leaves_the_copy_before_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """An offline run must never read half a list: a write cut short keeps the previous copy whole."""
    import subprocess
    import sys

    from edcbridge.trust import lotl

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    url = "http://127.0.0.1:9/fr.xml"
    lotl._store(url, b"<whole/>", "2026-01-01T00:00:00Z")
    subprocess.run([sys.executable, "-c", _STORE_CUT_SHORT, url], check=True,
                   env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert lotl._from_cache(url) == (b"<whole/>", "2026-01-01T00:00:00Z")
