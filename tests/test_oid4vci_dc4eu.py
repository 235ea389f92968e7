"""DC4EU API gateway client against a local gateway on 127.0.0.1 that follows the swagger
(``apigw-swagger.json``: request bodies validated against its definitions), with the server
behaviour of SUNET/vc#70 (identities and document_display required) and #76/#78 (duplicate
authentic_source + document_id -> document_already_exists)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
from click.testing import CliRunner

from edcbridge.deliver.errors import DeliveryAuthError, DeliveryHTTPError, LocalValidationError
from edcbridge.oid4vci.cli import register
from edcbridge.oid4vci.dc4eu import LOGIN_FIX, Dc4euClient, upload_request
from edcbridge.oid4vci.offers import OfferStore
from edcbridge.qr import png_bytes
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, export_awards

SCHEMAS = {"/api/v1/upload": "vcclient.UploadRequest", "/api/v1/notification": "apiv1.NotificationRequest",
           "DELETE /api/v1/document": "apiv1.DeleteDocumentRequest",
           "/api/v1/document": "apiv1.GetDocumentRequest"}


class Gateway:
    """The authentic-source side of a DC4EU gateway: upload, notification, get and delete."""

    def __init__(self, swagger: dict[str, Any], basic_auth: tuple[str, str] | None = None) -> None:
        self.swagger = swagger
        self.basic_auth = basic_auth
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.answer_url: str | None = None  # a hostile gateway's offer link, instead of a real one
        self.answer_png: bytes | None = None  # and its "QR code"
        # once this many documents ("upload") or offers ("notification") are made, the login is refused
        self.refuse_after: tuple[str, int] | None = None  # (a token expired or revoked)
        self.made = {"upload": 0, "notification": 0}
        # how the next uploads are answered, in turn: "ok" as usual, "drop" the document stored
        # and the connection closed without an answer, a status (a proxy's 502, 503, 504) alone
        self.outage: list[str | int] = []
        self.tried = 0  # uploads received
        self.offer_outage: list[int] = []  # a proxy's status for the next offers asked for
        self.deleted: list[tuple[str, str]] = []  # the documents deleted, in turn
        self.refuse_delete = False  # a delete answered 400, the document kept

    def validate(self, path: str, body: Any) -> str | None:
        schema = {"$ref": f"#/definitions/{SCHEMAS[path]}", "definitions": self.swagger["definitions"]}
        error = jsonschema.exceptions.best_match(jsonschema.Draft4Validator(schema).iter_errors(body))
        if error is not None:
            return f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        if path.endswith("/upload"):
            for name in ("identities", "document_display"):  # SUNET/vc#70
                if not body.get(name):
                    return f"{name}: required"
        return None

    def handle(self, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        """The status and answer; status 0: close the connection without answering."""
        if path.endswith("/upload"):
            with self.lock:
                self.tried += 1
                answer = self.outage.pop(0) if self.outage else "ok"
            if isinstance(answer, int):
                return answer, {"error": {"title": "bad gateway"}}
            if answer == "drop":
                self._answer(path, headers, body)
                return 0, None
        elif self.offer_outage:
            return self.offer_outage.pop(0), {"error": {"title": "bad gateway"}}
        return self._answer(path, headers, body)

    def _answer(self, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        if self.refuse_after is not None and self.made[self.refuse_after[0]] >= self.refuse_after[1]:
            return 401, {"error": {"title": "unauthorized", "details": "token revoked"}}
        if self.basic_auth is not None:
            expected = "Basic " + base64.b64encode(":".join(self.basic_auth).encode()).decode()
            if headers.get("Authorization") != expected:
                return 401, {"error": {"title": "unauthorized"}}
        if path not in SCHEMAS:
            return 404, {"error": {"title": "not found"}}
        problem = self.validate(path, body)
        if problem:
            return 400, {"error": {"title": "validation_error", "details": problem}}
        with self.lock:
            self.requests.append((path, body))
            if path.startswith("DELETE "):
                return self._delete((body["authentic_source"], body["document_id"]))
            if path.endswith("/upload"):
                key = (body["meta"]["authentic_source"], body["meta"]["document_id"])  # SUNET/vc#78
                if key in self.documents:
                    return 400, {"error": {"title": "document_already_exists"}}  # SUNET/vc#76
                self.documents[key] = body
                self.made["upload"] += 1
                return 200, None
            key = (body["authentic_source"], body["document_id"])
            if key not in self.documents:
                return 400, {"error": {"title": "document not found", "details": "upload it first"}}
            if path == "/api/v1/document":  # GetDocument: the meta (with a field the gateway adds)
                held = self.documents[key]
                return 200, {"data": {"meta": {**held["meta"], "collect": {"id": "c-1"}},
                                      "document_data": held["document_data"]}}
            self.made["notification"] += 1
        url = f"openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fgw.test%2Foffer%2F{len(self.requests)}"
        url = self.answer_url if self.answer_url is not None else url
        png = self.answer_png if self.answer_png is not None else png_bytes(url)
        return 200, {"data": {"credential_offer_url": url, "qr_base64": base64.b64encode(png).decode()}}

    def _delete(self, key: tuple[str, str]) -> tuple[int, Any]:
        if self.refuse_delete:
            return 400, {"error": {"title": "delete_failed", "details": "locked"}}
        if self.documents.pop(key, None) is None:
            return 400, {"error": {"title": "document not found"}}
        self.deleted.append(key)
        return 200, None


@pytest.fixture(scope="module")
def swagger(reference: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference / "oid4vci-dc4eu" / "apigw-swagger.json").read_text("utf-8"))
    return data


def _serve(gateway: Gateway) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._respond(self.path)

        def do_DELETE(self) -> None:
            self._respond(f"DELETE {self.path}")

        def _respond(self, path: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except json.JSONDecodeError:
                status, answer = 400, {"error": {"title": "invalid json"}}
            else:
                status, answer = gateway.handle(path, self.headers, body)
            if status == 0:  # the answer is lost
                self.close_connection = True
                return
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def gateway(swagger: dict[str, Any]) -> Iterator[tuple[Gateway, str]]:
    fake = Gateway(swagger)
    server, url = _serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


@pytest.fixture
def secured(swagger: dict[str, Any]) -> Iterator[tuple[Gateway, str]]:
    fake = Gateway(swagger, basic_auth=("registry", "s3cret-password"))
    server, url = _serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-dc4eu"), 2, store.root)


def test_upload_then_notification(gateway: tuple[Gateway, str], exported: Exported) -> None:
    fake, url = gateway
    elm = exported.edc(exported.keys[0])
    body = upload_request(elm, authentic_source="imperial-registry")
    client = Dc4euClient(url)
    try:
        assert client.upload(body).outcome == "uploaded"
        offer = client.notification("imperial-registry", elm["id"])
        again = client.upload(body)
    finally:
        client.close()
    assert offer.credential_offer_url.startswith("openid-credential-offer://")
    assert offer.qr_png is not None and offer.qr_png.startswith(b"\x89PNG")
    assert (again.outcome, again.ok) == ("already-uploaded", True)
    stored = fake.documents[("imperial-registry", elm["id"])]
    assert stored["document_data"] == elm
    assert stored["meta"]["vct"] == "urn:eudi:elm:1" and stored["meta"]["real_data"] is False
    identity = stored["identities"][0]
    assert (identity["given_name"], identity["birth_date"]) == ("Learner0000", "1994-03-17")


def test_the_document_is_described_by_the_learners_achievement(
    gateway: tuple[Gateway, str], exported: Exported
) -> None:
    fake, url = gateway
    elm = exported.edc(exported.keys[1])
    title = elm["credentialSubject"]["hasClaim"]["title"]  # one claim object, as edcbridge maps it
    as_list = {**elm, "credentialSubject": {**elm["credentialSubject"], "hasClaim": [{"title": {"en": "B"}}]}}
    client = Dc4euClient(url)
    try:
        assert client.upload(upload_request(elm, authentic_source="imperial-registry")).ok
    finally:
        client.close()
    stored = fake.documents[("imperial-registry", elm["id"])]
    assert stored["document_display"]["description_structured"] == title
    listed = upload_request(as_list, authentic_source="imperial-registry")
    assert listed["document_display"]["description_structured"] == {"en": "B"}


def test_basic_auth(secured: tuple[Gateway, str], exported: Exported) -> None:
    _, url = secured
    body = upload_request(exported.edc(exported.keys[1]), authentic_source="imperial-registry")
    anonymous = Dc4euClient(url)
    with pytest.raises(DeliveryAuthError, match="EDCBRIDGE_DC4EU_USERNAME") as caught:
        anonymous.upload(body)
    anonymous.close()
    wrong = Dc4euClient(url, username="registry", password="wrong-password")
    with pytest.raises(DeliveryAuthError) as caught:
        wrong.upload(body)
    wrong.close()
    assert "wrong-password" not in str(caught.value)
    client = Dc4euClient(f"{url}/api/v1/", username="registry", password="s3cret-password")
    assert client.upload(body).outcome == "uploaded"
    client.close()


def test_incomplete_identity_is_refused_before_sending(exported: Exported) -> None:
    elm = exported.edc(exported.keys[0])
    subject = {k: v for k, v in elm["credentialSubject"].items() if k != "dateOfBirth"}
    with pytest.raises(LocalValidationError, match="dateOfBirth"):
        upload_request({**elm, "credentialSubject": subject}, authentic_source="x")


def test_gateway_refusal_is_reported(gateway: tuple[Gateway, str], exported: Exported) -> None:
    _, url = gateway
    body = upload_request(exported.edc(exported.keys[0]), authentic_source="imperial-registry")
    del body["meta"]["vct"]
    client = Dc4euClient(url)
    result = client.upload(body)
    client.close()
    assert (result.outcome, result.http_status) == ("rejected", 400)
    assert "vct" in result.message


def test_cli_uploads_and_prints_offer_urls(gateway: tuple[Gateway, str], exported: Exported) -> None:
    fake, url = gateway
    group = click.Group()
    register(group)
    args = [
        "upload-dc4eu",
        *exported.keys,
        "-o",
        str(exported.out_dir),
        "--url",
        url,
        "--authentic-source",
        "imperial-registry",
        "--real-data",
    ]
    first = CliRunner().invoke(group, args)
    assert first.exit_code == 0, first.output
    assert [line.split("://")[0] for line in first.stdout.splitlines()] == ["openid-credential-offer"] * 2
    assert len(fake.documents) == 2
    assert all(doc["meta"]["real_data"] is True for doc in fake.documents.values())
    pngs = sorted((exported.out_dir / "offers-dc4eu").glob("*.png"))
    assert [p.name for p in pngs] == ["imperial_W-0000.png", "imperial_W-0001.png"]
    second = CliRunner().invoke(group, args)
    assert second.exit_code == 0 and second.stderr.count("already-uploaded") == 2
    missing = CliRunner().invoke(group, [*args[:1], "imperial/NOPE", *args[3:]])
    assert missing.exit_code == 1 and "no exported award" in missing.stderr


def test_what_a_gateway_answers_is_checked_before_it_is_shown(
    gateway: tuple[Gateway, str], exported: Exported
) -> None:
    fake, url = gateway
    group = click.Group()
    register(group)
    args = ["upload-dc4eu", exported.keys[0], "-o", str(exported.out_dir), "--url", url,
            "--authentic-source", "hostile-test"]
    fake.answer_url = "javascript:alert(1)\n\x1b[2Jevil"
    hostile = CliRunner().invoke(group, args)
    assert hostile.exit_code == 1 and "not an openid-credential-offer:// or https:// link" in hostile.stderr
    assert "javascript" not in hostile.stdout and "\x1b" not in hostile.output
    fake.answer_url, fake.answer_png = None, b"NOTAPNG"
    fake.documents.clear()
    drawn = CliRunner().invoke(group, args)
    assert drawn.exit_code == 0, drawn.output
    png = exported.out_dir / "offers-dc4eu" / "imperial_W-0000.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")  # drawn here from the link instead
    no_scheme = CliRunner().invoke(group, [*args[:5], "not-a-url", *args[6:]])
    assert no_scheme.exit_code == 2 and "give the gateway's http(s):// address" in no_scheme.stderr


def test_validity_dates_without_a_zone_are_sent_as_utc(
    exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    elm = {**exported.edc(exported.keys[0]), "validFrom": "2025-06-30", "validUntil": "2030-01-01T00:00:00"}
    monkeypatch.setenv("TZ", "XST-5:30")  # a server 5 h 30 min east of UTC (POSIX TZ)
    time.tzset()
    try:
        meta = upload_request(elm, authentic_source="imperial-registry")["meta"]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert meta["credential_valid_from"] == int(datetime(2025, 6, 30, tzinfo=UTC).timestamp())
    assert meta["credential_valid_to"] == int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())


def test_an_offer_url_whose_qr_code_cannot_be_written_is_still_printed(
    gateway: tuple[Gateway, str], exported: Exported
) -> None:
    """The document is at the gateway and its offer made: a QR code that cannot be written
    leaves the URL to print, and the other awards to upload."""
    _, url = gateway
    group = click.Group()
    register(group)
    folder = exported.out_dir / "offers-dc4eu"
    blocked = folder / "imperial_W-0000.png"
    if blocked.exists():
        blocked.unlink()
    blocked.mkdir(parents=True)
    try:
        result = CliRunner().invoke(group, ["upload-dc4eu", *exported.keys, "-o", str(exported.out_dir),
                                            "--url", url, "--authentic-source", "qr-test"])
    finally:
        blocked.rmdir()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert f"imperial/W-0000: cannot write the QR code {blocked}" in result.stderr
    assert [line.split("://")[0] for line in result.stdout.splitlines()] == ["openid-credential-offer"] * 2
    assert (folder / "imperial_W-0001.png").is_file()


def test_a_failed_upload_names_the_award_once_by_its_key(exported: Exported) -> None:
    """As the uploaded ones are named: by <issuer>/<award_id>, whatever name was given, and once."""
    from tests.wallet.issuer_support import free_port

    group = click.Group()
    register(group)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    args = ["-o", str(exported.out_dir), "--url", closed, "--authentic-source", "imperial-registry"]
    missing = CliRunner().invoke(group, ["upload-dc4eu", "imperial/NOPE", *args])
    assert missing.exit_code == 1, missing.output
    assert "failed   imperial/NOPE: no exported award" in missing.stderr, missing.stderr
    award_id = exported.keys[0].split("/", 1)[1]
    unreachable = CliRunner().invoke(group, ["upload-dc4eu", award_id, *args])
    assert unreachable.exit_code == 1, unreachable.output
    named = f"failed   {exported.keys[0]}: POST {closed}/api/v1/upload"
    assert named in unreachable.stderr, unreachable.output


@pytest.mark.parametrize("url", ["http://gateway.invalid", "http://192.0.2.10:8080/api/v1"])
def test_a_gateway_url_that_is_not_https_is_refused_before_anything_is_sent(
    exported: Exported, url: str
) -> None:
    """The upload carries the learners' names and dates of birth, and the gateway password: over
    plain http only to this machine, as push deqar allows it."""
    result = _upload(url, exported, exported.keys[0])
    assert result.exit_code == 2, result.output
    assert "is not https" in result.stderr and "unencrypted" in result.stderr, result.stderr
    assert "POST" not in result.stderr, result.stderr  # refused before any request


def _upload(url: str, exported: Exported, key: str) -> Any:
    group = click.Group()
    register(group)
    return CliRunner().invoke(group, ["upload-dc4eu", key, "-o", str(exported.out_dir), "--url", url,
                                      "--authentic-source", "imperial-registry"])


def test_a_revoked_award_is_not_uploaded(gateway: tuple[Gateway, str], store: SchemaStore,
                                         tmp_path: Path) -> None:
    """As 'offer' refuses it: the gateway would offer a wallet a credential the issuer revoked."""
    fake, url = gateway
    folder = export_awards(tmp_path, 2, store.root)
    offers = OfferStore.for_folder(folder.out_dir)
    try:
        offers.create(folder.keys[0], ("elm",), valid_for=600)
    finally:
        offers.close()
    group = click.Group()
    register(group)
    revoked = CliRunner().invoke(group, ["revoke", folder.keys[0], "-o", str(folder.out_dir),
                                         "--reason", "annulled"])
    assert revoked.exit_code == 0, revoked.output
    result = _upload(url, folder, folder.keys[0])
    assert result.exit_code == 1
    assert f"failed   {folder.keys[0]}: the award was revoked" in result.stderr
    assert "offer --reissue" in result.stderr and not result.stdout and not fake.requests
    other = _upload(url, folder, folder.keys[1])  # the folder's other award goes as before
    assert other.exit_code == 0, other.output
    assert len(fake.documents) == 1


def test_an_expired_credential_is_not_uploaded(gateway: tuple[Gateway, str], store: SchemaStore,
                                               tmp_path: Path) -> None:
    fake, url = gateway
    ended = "2025-12-31"  # after the fixture's awarding date, before this machine's clock
    folder = export_awards(tmp_path, 1, store.root, valid_until=ended)
    result = _upload(url, folder, folder.keys[0])
    assert result.exit_code == 1
    assert f"{folder.keys[0]}: the credential expired on {ended}" in result.stderr
    assert not result.stdout and not fake.requests


@pytest.mark.parametrize("refused", ["upload", "notification"])
def test_a_login_refused_part_way_keeps_what_was_uploaded(gateway: tuple[Gateway, str], store: SchemaStore,
                                                          tmp_path: Path, refused: str) -> None:
    """As push deqar and push wallet do: the awards uploaded stay uploaded, the one in flight and
    the rest are named with the fix, and the exit code is that of some records failed. The
    gateway stops taking the login after one award, at the next upload or at the offer of the
    next award uploaded."""
    fake, url = gateway
    folder = export_awards(tmp_path, 3, store.root)
    first, in_flight, rest = folder.keys
    fake.refuse_after = ("notification", 1) if refused == "upload" else ("upload", 2)
    group = click.Group()
    register(group)
    args = ["upload-dc4eu", *folder.keys, "-o", str(folder.out_dir), "--url", url,
            "--authentic-source", "imperial-registry"]
    stopped = CliRunner().invoke(group, args)
    assert stopped.exit_code == 1, stopped.output
    assert len(stopped.stdout.splitlines()) == 1 and f"uploaded {first}: QR code" in stopped.stderr
    assert f"failed   {in_flight}: POST {url}/api/v1/{refused}: HTTP 401" in stopped.stderr
    assert f"failed   {rest}: not sent: the gateway refused the login (HTTP 401) earlier" in stopped.stderr
    assert stopped.stderr.count(in_flight) == stopped.stderr.count(rest) == 1
    assert stopped.stderr.count(LOGIN_FIX) == 2 and "--password-file" in LOGIN_FIX
    assert stopped.stderr.count("then run the same command again") == 2
    assert stopped.stderr.splitlines()[-1].startswith("1 uploaded, 1 failed, 1 not sent")
    held = len(fake.documents)
    assert held == (1 if refused == "upload" else 2)

    fake.refuse_after = None  # the login works again
    again = CliRunner().invoke(group, args)
    assert again.exit_code == 0, again.output
    assert again.stderr.count("already-uploaded ") == held and f"already-uploaded {first}" in again.stderr
    assert f"uploaded {rest}" in again.stderr and len(again.stdout.splitlines()) == 3
    assert fake.made["upload"] == len(fake.documents) == 3


def test_a_login_refused_at_once_is_a_configuration_error(gateway: tuple[Gateway, str],
                                                          exported: Exported) -> None:
    fake, url = gateway
    fake.refuse_after = ("upload", 0)
    result = _upload(url, exported, exported.keys[0])
    assert result.exit_code == 2, result.output
    assert "HTTP 401" in result.stderr and LOGIN_FIX in result.stderr
    assert "not sent" not in result.stderr and not result.stdout


@pytest.fixture(scope="module")
def six(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-dc4eu-six"), 6, store.root)


def _upload_all(url: str, exported: Exported) -> Any:
    group = click.Group()
    register(group)
    return CliRunner().invoke(group, ["upload-dc4eu", *exported.keys, "-o", str(exported.out_dir), "--url",
                                      url, "--authentic-source", "imperial-registry"])


def _said_not_sent(result: Any, keys: list[str]) -> None:
    """Each award named once as not sent, with the reason and the fix."""
    for key in keys:
        assert result.stderr.count(key) == 1, result.stderr
        assert f"failed   {key}: not sent: the gateway did not answer 3 requests in a row" in result.stderr
    assert result.stderr.count("check that the gateway is up") == len(keys)
    assert result.stderr.count("not stored twice: it is reported already-uploaded") == len(keys)


@pytest.mark.parametrize("outage", ["drop", 502, 503, 504])
def test_a_gateway_that_stops_answering_is_not_asked_for_the_rest(
    gateway: tuple[Gateway, str], six: Exported, outage: str | int
) -> None:
    """As push deqar and push wallet do: after 3 awards in a row without an answer the rest
    is not sent, and the same command run again uploads it; a document stored whose answer
    was lost is not stored twice."""
    fake, url = gateway
    fake.outage = ["ok", outage, outage, outage]  # then the gateway would answer again
    stopped = _upload_all(url, six)
    assert stopped.exit_code == 1, stopped.output
    assert fake.tried == 4 and len(stopped.stdout.splitlines()) == 1
    assert f"uploaded {six.keys[0]}: QR code" in stopped.stderr
    for key in six.keys[1:4]:
        assert f"failed   {key}: POST {url}/api/v1/upload" in stopped.stderr
    _said_not_sent(stopped, six.keys[4:])
    assert stopped.stderr.splitlines()[-1].startswith("1 uploaded, 3 failed, 2 not sent")
    held = len(fake.documents)
    assert held == (4 if outage == "drop" else 1)

    again = _upload_all(url, six)
    assert again.exit_code == 0, again.output
    assert again.stderr.count("already-uploaded ") == held and len(again.stdout.splitlines()) == 6
    assert fake.made["upload"] == len(fake.documents) == 6


def test_a_gateway_that_is_down_is_asked_for_3_awards(gateway: tuple[Gateway, str], six: Exported) -> None:
    from tests.wallet.issuer_support import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    down = _upload_all(closed, six)
    assert down.exit_code == 1, down.output
    assert down.stderr.count(f"POST {closed}/api/v1/upload: no answer") == 3 and not down.stdout
    _said_not_sent(down, six.keys[3:])
    assert down.stderr.splitlines()[-1].startswith("0 uploaded, 3 failed, 3 not sent")


def test_any_answer_starts_the_count_of_silent_requests_again(gateway: tuple[Gateway, str],
                                                              six: Exported) -> None:
    fake, url = gateway
    fake.outage = [503, "ok", 503, 503, 503]
    result = _upload_all(url, six)
    assert result.exit_code == 1, result.output
    assert fake.tried == 5 and f"uploaded {six.keys[1]}: QR code" in result.stderr
    _said_not_sent(result, six.keys[5:])
    assert result.stderr.splitlines()[-1].startswith("1 uploaded, 4 failed, 1 not sent")


def test_an_award_named_twice_is_uploaded_once(gateway: tuple[Gateway, str], exported: Exported) -> None:
    """By its key and by its bare award id, or by the same key twice: once, where first named."""
    fake, url = gateway
    first, second = exported.keys
    bare = first.split("/", 1)[1]
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["upload-dc4eu", second, bare, first, second, "-o",
                                        str(exported.out_dir), "--url", url, "--authentic-source",
                                        "imperial-registry"])
    assert result.exit_code == 0, result.output
    assert fake.tried == 2 and len(result.stdout.splitlines()) == 2
    said = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert said == ["note", "note", f"uploaded {second}", f"uploaded {first}"], result.stderr
    for key in (first, second):
        assert result.stderr.count(f"note: {key}: named more than once; uploaded once") == 1
    unknown = CliRunner().invoke(group, ["upload-dc4eu", "imperial/NOPE", "imperial/NOPE", "-o",
                                         str(exported.out_dir), "--url", url, "--authentic-source",
                                         "imperial-registry"])
    assert unknown.exit_code == 1 and fake.tried == 2
    assert unknown.stderr.count("imperial/NOPE") == 1 and "note" not in unknown.stderr, unknown.stderr


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_said_unavailable_is_not_called_outside_its_contract(
    gateway: tuple[Gateway, str], six: Exported, status: int
) -> None:
    """As push deqar words the same statuses: the gateway (or its proxy) is unavailable."""
    fake, url = gateway
    fake.outage = ["ok", status]
    result = _upload_all(url, six)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith(f"failed   {six.keys[1]}")]
    assert len(failed) == 1 and f"HTTP {status}" in failed[0], result.stderr
    assert "outside its contract" not in failed[0]
    assert "the gateway (or its proxy) said it is unavailable" in failed[0]
    assert "run the same command again" in failed[0]


def test_a_gateway_unavailable_when_asked_for_an_offer_is_said_so(
    gateway: tuple[Gateway, str], six: Exported
) -> None:
    fake, url = gateway
    fake.offer_outage = [503]
    result = _upload_all(url, six)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed   ")]
    assert failed == [line for line in failed if f"{six.keys[0]}: POST {url}/api/v1/notification" in line]
    assert len(failed) == 1 and "HTTP 503" in failed[0], result.stderr
    assert "the gateway (or its proxy) said it is unavailable" in failed[0]
    assert "was the document uploaded" not in failed[0]


def test_a_run_again_keeps_the_offers_already_made(gateway: tuple[Gateway, str], store: SchemaStore,
                                                    tmp_path: Path) -> None:
    """The gateway's contract says nothing of an offer ending when another is asked for the same
    document: a learner may hold the first one. A run again after a partial failure asks offers
    only for the awards left, and shows the recorded ones as they were."""
    fake, url = gateway
    three = export_awards(tmp_path, 3, store.root)
    fake.outage = ["ok", 503, "ok"]
    first = _upload_all(url, three)
    assert first.exit_code == 1 and fake.made["notification"] == 2, first.output
    offered = first.stdout.splitlines()
    pngs = [three.out_dir / "offers-dc4eu" / f"imperial_W-000{n}.png" for n in range(3)]
    before = {n: (pngs[n].read_bytes(), pngs[n].stat().st_ino) for n in (0, 2)}

    again = _upload_all(url, three)
    assert again.exit_code == 0, again.output
    assert fake.made["notification"] == 3  # for the award left only
    links = again.stdout.splitlines()
    assert (links[0], links[2]) == (offered[0], offered[1]) and links[1] not in offered
    assert {n: (pngs[n].read_bytes(), pngs[n].stat().st_ino) for n in (0, 2)} == before
    for n in (0, 2):
        assert f"already-uploaded {three.keys[n]}: earlier offer kept" in again.stderr, again.stderr
        record = three.out_dir / "offers-dc4eu" / f"imperial_W-000{n}.json"
        assert f"for a new one, remove {record} and run the same command again" in again.stderr
    assert f"uploaded {three.keys[1]}: QR code" in again.stderr


def test_an_offer_that_cannot_be_recorded_stands_and_is_asked_for_again(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    record = one.out_dir / "offers-dc4eu" / "imperial_W-0000.json"
    record.mkdir(parents=True)  # what stands in its way
    for made in (1, 2):
        result = _upload_all(url, one)
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1, result.output
        assert f"warning: {one.keys[0]}: cannot record the offer in {record}" in result.stderr
        assert "will ask the gateway for another" in result.stderr and fake.made["notification"] == made


@pytest.mark.parametrize("field", ["gateway", "authentic_source", "document_id", "credential_offer_url",
                                   "offered"])
def test_an_offer_recorded_for_another_gateway_or_document_is_not_shown(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path, field: str
) -> None:
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    assert _upload_all(url, one).exit_code == 0
    record = one.out_dir / "offers-dc4eu" / "imperial_W-0000.json"
    data = json.loads(record.read_text("utf-8"))
    assert data["gateway"] == f"{url}/api/v1" and data["authentic_source"] == "imperial-registry"
    record.write_text(json.dumps({**data, field: "javascript:alert(1)"}), "utf-8")
    again = _upload_all(url, one)
    assert again.exit_code == 0 and fake.made["notification"] == 2, again.output
    assert "earlier offer kept" not in again.stderr and "javascript" not in again.stdout
    rewritten = json.loads(record.read_text("utf-8"))  # for the offer just made
    assert rewritten["credential_offer_url"] == again.stdout.strip() and "javascript" not in str(rewritten)


def test_a_kept_offer_whose_qr_code_was_removed_gets_it_drawn_again(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    png = one.out_dir / "offers-dc4eu" / "imperial_W-0000.png"
    png.unlink()
    again = _upload_all(url, one)
    assert again.exit_code == 0 and again.stdout == first.stdout, again.output
    assert fake.made["notification"] == 1 and png.read_bytes() == png_bytes(first.stdout.strip())
    assert "earlier offer kept (made 20" in again.stderr and f"QR code {png}" in again.stderr


def test_the_offer_files_are_readable_by_the_user_alone_from_the_start(
        gateway: tuple[Gateway, str], exported: Exported, monkeypatch: pytest.MonkeyPatch) -> None:
    """The QR code and the record hold the offer, which lets whoever reads them take the
    credential: private even in a folder given open to others, and never written open first."""
    import os
    import stat

    fake, url = gateway
    fake.documents.clear()
    group = click.Group()
    register(group)
    exported.out_dir.chmod(0o755)
    old = os.umask(0o022)
    changed: list[Path] = []
    monkeypatch.setattr(Path, "chmod", lambda self, mode, **_: changed.append(self))
    try:
        result = CliRunner().invoke(group, ["upload-dc4eu", *exported.keys, "-o", str(exported.out_dir),
                                            "--url", url, "--authentic-source", "private-test"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    folder = exported.out_dir / "offers-dc4eu"
    written = sorted(folder.glob("imperial_W-000[01].*"))
    assert [p.name for p in written] == ["imperial_W-0000.json", "imperial_W-0000.png",
                                         "imperial_W-0001.json", "imperial_W-0001.png"]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(0o600)}
    assert changed == []  # made so, not set so afterwards



def test_a_document_is_deleted_over_the_contracts_request(gateway: tuple[Gateway, str],
                                                          exported: Exported) -> None:
    fake, url = gateway
    elm = exported.edc(exported.keys[0])
    client = Dc4euClient(url)
    try:
        assert client.upload(upload_request(elm, authentic_source="deleting")).outcome == "uploaded"
        client.delete_document("deleting", elm["id"])
        assert ("deleting", elm["id"]) not in fake.documents
        fake.refuse_delete = True
        with pytest.raises(DeliveryHTTPError, match="delete_failed locked") as refused:
            client.delete_document("deleting", elm["id"])
    finally:
        client.close()
    assert fake.deleted == [("deleting", elm["id"])]
    asked = {"authentic_source": "deleting", "document_id": elm["id"], "vct": "urn:eudi:elm:1"}
    assert fake.requests[1] == ("DELETE /api/v1/document", asked)
    assert refused.value.status == 400 and "nothing was replaced" in str(refused.value)


def _exported_again(tmp_path: Path, store: SchemaStore) -> Exported:
    """The award of :func:`export_awards` ``(tmp_path, 1, ...)`` exported again into the same
    folder with other content (a later end of validity)."""
    return export_awards(tmp_path, 1, store.root, valid_until="2041-06-30")


def _upload_with(url: str, exported: Exported, *options: str) -> Any:
    group = click.Group()
    register(group)
    return CliRunner().invoke(group, ["upload-dc4eu", *exported.keys, "-o", str(exported.out_dir), "--url",
                                      url, "--authentic-source", "imperial-registry", *options])


def test_the_offer_record_holds_the_digest_of_the_document_uploaded(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    import hashlib

    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    assert _upload_all(url, one).exit_code == 0
    record = json.loads((one.out_dir / "offers-dc4eu" / "imperial_W-0000.json").read_text("utf-8"))
    held = fake.documents[("imperial-registry", one.edc(one.keys[0])["id"])]
    canonical = json.dumps(held, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert record["document_digest"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_a_document_exported_again_with_other_content_is_reported_changed(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    """The gateway keeps the first version of a document id: the learner would be offered the
    stale one, so the award fails instead of being shown as already uploaded."""
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    assert first.exit_code == 0, first.output
    again = _exported_again(tmp_path, store)
    assert again.edc(again.keys[0]) != fake.documents[("imperial-registry", again.edc(again.keys[0])["id"])][
        "document_data"]
    result = _upload_all(url, again)
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and fake.made["notification"] == 1 and fake.deleted == []
    said = f"changed  {again.keys[0]}: the gateway holds an earlier version of the document (offered 20"
    assert said in result.stderr, result.stderr
    assert "not the one exported now" in result.stderr
    assert "run the same command again with --replace-changed" in result.stderr
    assert "already-uploaded" not in result.stderr


@pytest.mark.parametrize("option", [["--real-data"], ["--identity-schema", "SE"]])
def test_a_document_described_otherwise_is_reported_changed(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path, option: list[str]
) -> None:
    """The gateway keeps the first upload's meta and identities too: a run again that would
    describe the document otherwise (the language only where it picks other names) would leave
    the learner with the earlier description."""
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    assert _upload_with(url, one).exit_code == 0
    result = _upload_with(url, one, *option)
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert f"changed  {one.keys[0]}: the gateway holds an earlier version" in result.stderr, result.stderr
    replaced = _upload_with(url, one, *option, "--replace-changed")
    assert replaced.exit_code == 0, replaced.output
    held = fake.documents[("imperial-registry", one.edc(one.keys[0])["id"])]
    assert held == fake.requests[-2][1] and fake.deleted


def test_replace_changed_deletes_the_earlier_version_and_uploads_the_new_one(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    again = _exported_again(tmp_path, store)
    elm = again.edc(again.keys[0])
    result = _upload_with(url, again, "--replace-changed")
    assert result.exit_code == 0, result.output
    assert fake.deleted == [("imperial-registry", elm["id"])]
    paths = [path for path, _ in fake.requests]
    assert paths[-4:] == ["/api/v1/upload", "DELETE /api/v1/document", "/api/v1/upload",
                          "/api/v1/notification"]
    assert fake.requests[-3][1] == {"authentic_source": "imperial-registry", "document_id": elm["id"],
                                    "vct": "urn:eudi:elm:1"}
    assert fake.documents[("imperial-registry", elm["id"])]["document_data"] == elm
    link = result.stdout.strip()
    assert link and link != first.stdout.strip() and fake.made["notification"] == 2
    png = again.out_dir / "offers-dc4eu" / "imperial_W-0000.png"
    assert f"replaced {again.keys[0]}: QR code {png}" in result.stderr and png.read_bytes() == png_bytes(link)
    kept = _upload_all(url, again)  # the record now holds the new version
    assert kept.exit_code == 0 and kept.stdout.strip() == link, kept.output
    assert "earlier offer kept" in kept.stderr and fake.made["notification"] == 2


def test_replace_changed_leaves_a_document_unchanged_as_it_is(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    result = _upload_with(url, one, "--replace-changed")
    assert result.exit_code == 0 and result.stdout == first.stdout, result.output
    assert fake.deleted == [] and "earlier offer kept" in result.stderr


def _without_digest(one: Exported) -> dict[str, Any]:
    """Removes the digest from the award's offer record (as written before it was kept)."""
    path = one.out_dir / "offers-dc4eu" / "imperial_W-0000.json"
    record: dict[str, Any] = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({k: v for k, v in record.items() if k != "document_digest"}), "utf-8")
    return record


def test_a_record_without_a_digest_is_checked_against_the_document_held(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    """A record written before the digest was kept is still read: the gateway is asked for the
    document it holds (GetDocument); the same one keeps the earlier offer."""
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    _without_digest(one)
    result = _upload_all(url, one)
    assert result.exit_code == 0 and result.stdout == first.stdout, result.output
    assert "earlier offer kept" in result.stderr and fake.made["notification"] == 1
    assert fake.requests[-1] == ("/api/v1/document", {"authentic_source": "imperial-registry",
                                                      "document_id": one.edc(one.keys[0])["id"],
                                                      "vct": "urn:eudi:elm:1"})


def test_a_record_without_a_digest_for_another_version_is_reported_changed(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    _, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    record = _without_digest(one)
    again = _exported_again(tmp_path, store)
    result = _upload_all(url, again)
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert (f"changed  {one.keys[0]}: the gateway holds a version of the document uploaded before OUT "
            f"recorded what it uploaded (offered {record['offered']}), not the one exported now"
            ) in result.stderr, result.stderr
    replaced = _upload_with(url, again, "--replace-changed")
    assert replaced.exit_code == 0 and replaced.stdout != first.stdout, replaced.output
    path = one.out_dir / "offers-dc4eu" / "imperial_W-0000.json"
    assert json.loads(path.read_text("utf-8"))["document_digest"] != record["document_digest"]


def test_without_a_record_the_document_held_is_compared_with_the_one_exported(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    """A record removed (for a new offer) leaves the gateway's version unchecked by digest: it is
    asked for; a version other than the one exported now gets no new offer."""
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    record = one.out_dir / "offers-dc4eu" / "imperial_W-0000.json"
    record.unlink()
    same = _upload_all(url, one)  # the version held: a new offer, as the record's removal asked
    assert same.exit_code == 0 and same.stdout.strip() not in ("", first.stdout.strip()), same.output
    assert fake.made["notification"] == 2 and record.exists()
    record.unlink()
    again = _exported_again(tmp_path, store)
    result = _upload_all(url, again)
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert (f"changed  {one.keys[0]}: the gateway holds a version of the document that OUT records no "
            "offer for, not the one exported now") in result.stderr, result.stderr
    assert fake.made["notification"] == 2 and not record.exists()


def test_a_delete_the_gateway_refuses_replaces_nothing(
    gateway: tuple[Gateway, str], store: SchemaStore, tmp_path: Path
) -> None:
    fake, url = gateway
    one = export_awards(tmp_path, 1, store.root)
    first = _upload_all(url, one)
    again = _exported_again(tmp_path, store)
    fake.refuse_delete = True
    held = dict(fake.documents)
    result = _upload_with(url, again, "--replace-changed")
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert f"failed   {again.keys[0]}: DELETE {url}/api/v1/document" in result.stderr, result.stderr
    assert "delete_failed locked" in result.stderr and "nothing was replaced" in result.stderr
    assert fake.documents == held and fake.made["notification"] == 1 and first.exit_code == 0
