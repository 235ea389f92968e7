"""CORS for browser (web) wallets, over real HTTP (uvicorn on 127.0.0.1): every wallet-facing
route answers any origin with ``Access-Control-Allow-Origin: *`` (never with credentials: the
issuer uses no cookies) and its preflight, allowing ``Authorization``, ``Content-Type``,
``DPoP`` and a wallet attestation's headers and exposing ``WWW-Authenticate``; then headless
Chromium, on a page of another origin, runs metadata, token, nonce and credential and reads the
401 challenges."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.conftest import need_tool
from tests.preview_support import BROWSER
from tests.wallet.issuer_support import PRE_AUTH, Exported, Holder, export_awards, running_issuer

WALLET_ORIGIN = "https://wallet.example"
METADATA = ("/.well-known/openid-credential-issuer", "/.well-known/oauth-authorization-server")
API = ("/token", "/nonce", "/credential", "/notification")


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-cors"), 1, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _preflight(url: str, method: str, headers: str | None = None) -> requests.Response:
    asked = {"Origin": WALLET_ORIGIN, "Access-Control-Request-Method": method}
    if headers is not None:
        asked["Access-Control-Request-Headers"] = headers
    return requests.options(url, headers=asked, timeout=10)


def test_metadata_is_readable_from_any_origin(issuer: IssuerService) -> None:
    for path in METADATA:
        response = requests.get(f"{issuer.issuer}{path}", headers={"Origin": WALLET_ORIGIN}, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
        preflight = _preflight(f"{issuer.issuer}{path}", "GET", "content-type")
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in preflight.headers


def test_token_nonce_credential_and_notification_allow_browser_wallets(issuer: IssuerService) -> None:
    for path in API:
        preflight = _preflight(f"{issuer.issuer}{path}", "POST", "authorization, content-type, dpop")
        assert preflight.status_code == 200, (path, preflight.text)
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type", "dpop"} <= allowed
        assert "access-control-allow-credentials" not in preflight.headers
    attested = _preflight(f"{issuer.issuer}/token", "POST",  # an EUDI wallet's attestation, ignored
                          "content-type, oauth-client-attestation, oauth-client-attestation-pop")
    assert attested.status_code == 200, attested.text
    assert attested.headers["access-control-allow-origin"] == "*"
    refused = _preflight(f"{issuer.issuer}/credential", "POST", "cookie")  # only what a wallet sends
    assert refused.status_code == 400
    for headers in ({}, {"Authorization": "Bearer unknown"}):  # errors are readable, with the challenge
        response = requests.post(f"{issuer.issuer}/credential", json={}, timeout=10,
                                 headers={"Origin": WALLET_ORIGIN, **headers})
        assert response.status_code == 401
        assert response.headers["access-control-allow-origin"] == "*"
        assert "WWW-Authenticate" in response.headers["access-control-expose-headers"]
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": "x"}
    origin = {"Origin": WALLET_ORIGIN}
    refusal = requests.post(f"{issuer.issuer}/token", data=form, headers=origin, timeout=10)
    assert refusal.status_code == 400 and refusal.headers["access-control-allow-origin"] == "*"



def test_a_refused_preflight_is_a_json_error_never_cached(issuer: IssuerService) -> None:
    """A preflight asking for a header or method the issuer does not allow is refused like any
    other request: JSON ``invalid_request`` naming what is allowed, with ``no-store``."""
    for method, headers in (("POST", "content-type, cookie"), ("PUT", None), ("DELETE", "authorization")):
        refused = _preflight(f"{issuer.issuer}/credential", method, headers)
        assert refused.status_code == 400, (method, headers)
        assert refused.headers["content-type"] == "application/json", refused.text
        assert refused.headers["cache-control"] == "no-store"
        assert refused.headers["pragma"] == "no-cache"
        assert refused.headers["access-control-allow-origin"] == "*"
        body = refused.json()
        assert body["error"] == "invalid_request"
        assert "GET, POST" in body["error_description"] and "Authorization" in body["error_description"]


def _preflight_fields(issuer: IssuerService, *asked: str) -> int:
    """The status of a preflight for POST /credential sending ``Access-Control-Request-Headers``
    once per item of ``asked``, as written (http.client sends the fields as given)."""
    address = urlsplit(issuer.issuer)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.putrequest("OPTIONS", "/credential")
        connection.putheader("Origin", WALLET_ORIGIN)
        connection.putheader("Access-Control-Request-Method", "POST")
        for field in asked:
            connection.putheader("Access-Control-Request-Headers", field)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_preflight_list_is_read_whole_and_without_empty_elements(issuer: IssuerService) -> None:
    """RFC 9110 5.3, 5.6.1: a list may be split over several fields and hold empty elements."""
    assert _preflight_fields(issuer, "authorization, content-type,") == 200
    assert _preflight_fields(issuer, ", authorization,,dpop") == 200
    assert _preflight_fields(issuer, "authorization", "content-type") == 200
    assert _preflight_fields(issuer, "authorization", "cookie") == 400
    assert _preflight_fields(issuer, ",", "cookie,") == 400

# -- a browser's own CORS checks -----------------------------------------------------------------

_PAGE = b"<!doctype html><html lang='en'><title>web wallet</title><p>wallet</p></html>"

_SCRIPT = """
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";
const config = JSON.parse(readFileSync(process.argv[1], "utf8"));
const browser = await puppeteer.launch({ executablePath: config.chromium, headless: true, pipe: true,
  userDataDir: config.profile, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  await page.goto(config.page, { waitUntil: "load" });
  const seen = await page.evaluate(async (c) => {
    const out = { origin: location.origin };
    const read = async (response) => ({ status: response.status, body: await response.json(),
      challenge: response.headers.get("WWW-Authenticate") });
    out.issuerMetadata = await read(await fetch(`${c.issuer}/.well-known/openid-credential-issuer`));
    out.oauthMetadata = await read(await fetch(`${c.issuer}/.well-known/oauth-authorization-server`));
    out.token = await read(await fetch(`${c.issuer}/token`, { method: "POST",
      body: new URLSearchParams({ grant_type: c.grant, "pre-authorized_code": c.code }) }));
    out.nonce = await read(await fetch(`${c.issuer}/nonce`, { method: "POST" }));
    const json = { "Content-Type": "application/json" };
    out.credential = await read(await fetch(`${c.issuer}/credential`, { method: "POST",
      headers: { ...json, Authorization: `Bearer ${out.token.body.access_token}` },
      body: JSON.stringify({ credential_configuration_id: "elm", proofs: { jwt: [c.proof] } }) }));
    out.noToken = await read(await fetch(`${c.issuer}/credential`, { method: "POST", headers: json,
      body: "{}" }));
    out.badToken = await read(await fetch(`${c.issuer}/credential`, { method: "POST",
      headers: { ...json, Authorization: "Bearer unknown", DPoP: "x" }, body: "{}" }));
    return out;
  }, config);
  console.log(JSON.stringify({ ...seen, problems }));
} finally {
  await browser.close();
}
"""


def test_an_unexpected_failure_is_a_500_a_browser_wallet_can_read(
    issuer: IssuerService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without CORS headers a browser hides the answer and reports a CORS error instead of the
    issuer's own ``server_error``; the cause goes to the issuer's log, not to the wallet."""
    def broken() -> dict[str, Any]:
        raise RuntimeError("database file vanished")

    monkeypatch.setattr(issuer, "type_metadata", broken)
    with caplog.at_level("ERROR", logger="edcbridge.oid4vci"):
        response = requests.get(f"{issuer.issuer}/type-metadata/elm", headers={"Origin": WALLET_ORIGIN},
                                timeout=10)
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "server_error"
    assert "vanished" not in response.text
    assert "database file vanished" in caplog.text


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(_PAGE)))
        self.end_headers()
        self.wfile.write(_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wallet_page() -> Iterator[str]:
    """A page on another origin than the issuer's (another port of 127.0.0.1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/wallet.html"
    finally:
        server.shutdown()
        server.server_close()


def test_a_web_wallet_in_chromium_takes_the_credential(
    issuer: IssuerService, exported: Exported, wallet_page: str, tmp_path: Path
) -> None:
    chromium = need_tool("chromium")
    node = need_tool("node")
    if not (BROWSER / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail(f"npm puppeteer-core is missing: run `npm ci` in {BROWSER}")
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    config = tmp_path / "cors-config.json"
    config.write_text(json.dumps({
        "chromium": chromium, "profile": str(tmp_path / "profile"), "page": wallet_page,
        "issuer": issuer.issuer, "grant": PRE_AUTH, "code": offer.pre_authorized_code,
        "proof": holder.proof(holder.nonce()),
    }), encoding="utf-8")
    result = subprocess.run([node, "--input-type=module", "-e", _SCRIPT, str(config)], cwd=BROWSER,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["origin"] != issuer.issuer.rstrip("/")  # the page is of another origin
    blocked = [p for p in seen["problems"] if "CORS" in p or "Access-Control" in p]  # 401s are logged too
    assert blocked == [], seen["problems"]
    assert seen["issuerMetadata"]["body"]["credential_issuer"] == issuer.issuer
    assert seen["oauthMetadata"]["body"]["token_endpoint"] == f"{issuer.issuer}/token"
    assert seen["token"]["status"] == 200 and seen["nonce"]["body"]["c_nonce"]
    assert seen["credential"]["status"] == 200, seen["credential"]
    assert seen["credential"]["body"]["credentials"][0]["credential"].count("~") > 1
    assert (seen["noToken"]["status"], seen["noToken"]["challenge"]) == (401, "Bearer")
    assert seen["badToken"]["status"] == 401
    assert seen["badToken"]["challenge"].startswith('Bearer error="invalid_token"')
