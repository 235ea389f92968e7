"""The Token Status List as verifiers and registry offices meet it, over real HTTP: content
negotiation and the draft's request rules (draft-ietf-oauth-status-list 8.1, 8.2, 8.4), a list
served only at the URI its ``sub`` names, and `edcbridge revoke` closing what could still give
a credential for a revoked award, printing what it revoked, and finding an award whose export
record has gone."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from edcbridge.oid4vci import status_list
from edcbridge.oid4vci.errors import OAuthError
from edcbridge.oid4vci.offers import OfferStore
from edcbridge.oid4vci.service import IssuerService
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import (
    Exported,
    Holder,
    edcbridge_cli,
    export_awards,
    issued_payload,
    running_issuer,
)


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-status-rules"), 4, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _revoke(exported: Exported, *awards: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(edcbridge_cli("revoke", *awards, "-o", str(exported.out_dir)),
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def entry(issuer: IssuerService, exported: Exported) -> dict[str, Any]:
    """The status entry of a credential of the last award (never revoked here)."""
    found: dict[str, Any] = issued_payload(issuer, exported.keys[3])["status"]["status_list"]
    return found


# -- what a verifier asks for --------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "application/statuslist+jwt", "*/*", "application/*;q=0.5",
                                    "application/statuslist+cwt;q=1, application/statuslist+jwt;q=0.4"])
def test_a_verifier_accepting_the_jwt_form_gets_it(entry: dict[str, Any], accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = requests.get(entry["uri"], headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(status_list.MEDIA_TYPE)
    assert "accept" in response.headers["vary"].lower()  # a cache keeps the answer per Accept


@pytest.mark.parametrize("accept", ["application/statuslist+cwt", "application/statuslist+jwt;q=0",
                                    "application/json", "*/*;q=0"])
def test_a_verifier_asking_for_another_form_is_told_406(entry: dict[str, Any], accept: str) -> None:
    response = requests.get(entry["uri"], headers={"Accept": accept}, timeout=10)
    assert response.status_code == 406, response.text
    assert status_list.MEDIA_TYPE in response.json()["error_description"]


def test_a_browser_verifier_of_another_origin_may_read_the_list(entry: dict[str, Any]) -> None:
    response = requests.get(entry["uri"], headers={"Origin": "https://verifier.example",
                                                   "Accept": status_list.MEDIA_TYPE}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_historical_request_is_not_answered_with_the_current_list(entry: dict[str, Any]) -> None:
    response = requests.get(entry["uri"], params={"time": "1686925000"}, timeout=10)
    assert response.status_code == 501, response.text


def test_a_list_is_served_only_at_the_uri_its_sub_names(entry: dict[str, Any]) -> None:
    base, number = entry["uri"].rsplit("/", 1)
    assert requests.get(entry["uri"], timeout=10).status_code == 200
    for other in (f"0{number}", f"+{number}", "\u0661" if number == "1" else f"{number}\u0660"):
        response = requests.get(f"{base}/{other}", timeout=10)
        assert response.status_code == 404, (other, response.text)


def test_the_list_uri_does_not_double_a_trailing_slash() -> None:
    assert status_list.list_uri("https://registry.example/issuer/", 2) == "https://registry.example/issuer/status/2"


def test_accept_ranges_are_read_by_specificity_and_quality() -> None:
    assert status_list.accepts_token("text/html, */*;q=0.1")
    assert status_list.accepts_token("APPLICATION/STATUSLIST+JWT")
    assert not status_list.accepts_token("application/statuslist+jwt;q=0, */*")
    assert not status_list.accepts_token("application/statuslist+cwt, application/cbor")


# -- what a registry office does -----------------------------------------------------------


def test_an_open_offer_gives_no_credential_once_its_award_is_revoked(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)  # letter sent, not yet used
    revoked = _revoke(exported, exported.keys[0])
    assert revoked.returncode == 0, revoked.stderr
    assert "1 unused offer closed" in revoked.stdout, revoked.stdout
    response = Holder(issuer.issuer).token(offer.pre_authorized_code)
    assert response.status_code == 400 and "access_token" not in response.json(), response.text
    assert "revoked this award" in response.json()["error_description"]
    again = subprocess.run(edcbridge_cli("offer", exported.keys[0], "-o", str(exported.out_dir),
                                         "--no-qr-terminal"), capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "--reissue" in again.stderr, again.stderr  # no new valid credential
    reissued = subprocess.run(edcbridge_cli("offer", exported.keys[0], "-o", str(exported.out_dir),
                                            "--no-qr-terminal", "--reissue"),
                              capture_output=True, text=True, timeout=60)
    assert reissued.returncode == 0, reissued.stderr


def test_a_token_obtained_before_the_revocation_gets_no_credential(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    revoked = _revoke(exported, exported.keys[1])
    assert revoked.returncode == 0, revoked.stderr
    response = holder.request(token, holder.proof(holder.nonce()))
    assert response.status_code == 400 and "credentials" not in response.json(), response.text
    assert response.json()["error"] == "credential_request_denied"
    assert "revoked this award" in response.json()["error_description"]


def test_a_revocation_landing_while_a_credential_is_signed_refuses_its_entry(tmp_path: Path) -> None:
    offers = OfferStore(tmp_path / "offers.sqlite")
    try:
        offer = offers.create("issuer/award", ("elm",), valid_for=600)
        offers.redeem(offer.pre_authorized_code, None, token_ttl=60)  # the wallet holds a token
        offers.revoke("issuer/award")  # ... when the office revokes, before the entry is reserved
        with pytest.raises(OAuthError) as refused:
            offers.reserve_status("issuer/award", offer.offer_id)
        assert refused.value.error == "credential_request_denied"
        assert offers.invalid_entries(1) is None  # no entry was handed out
    finally:
        offers.close()


def test_revoking_prints_each_entry_and_a_second_run_changes_nothing(
    issuer: IssuerService, exported: Exported
) -> None:
    mine = issued_payload(issuer, exported.keys[2])["status"]["status_list"]
    number, index = mine["uri"].rsplit("/", 1)[1], mine["idx"]
    first = _revoke(exported, exported.keys[2])
    assert first.returncode == 0, first.stderr
    assert f"{exported.keys[2]}: revoked 1 credential (list {number} index {index})" in first.stdout
    again = _revoke(exported, exported.keys[2])
    assert again.returncode == 0, again.stderr
    expected = f"{exported.keys[2]}: already revoked 1 credential (list {number} index {index})"
    assert again.stdout.strip() == expected


def test_an_award_whose_export_record_failed_since_can_still_be_revoked(
    store: SchemaStore, tmp_path: Path
) -> None:
    fresh = export_awards(tmp_path, 1, store.root)
    with running_issuer(fresh) as service:
        mine = issued_payload(service, fresh.keys[0])["status"]["status_list"]
        with sqlite3.connect(fresh.out_dir / JOURNAL_NAME) as journal:  # a later run of it failed
            journal.execute("UPDATE records SET state = 'failed' WHERE key = ?", (fresh.keys[0],))
        award_id = fresh.keys[0].split("/", 1)[1]
        revoked = _revoke(fresh, award_id)
        assert revoked.returncode == 0, revoked.stderr
        assert service.offers.invalid_entries(int(mine["uri"].rsplit("/", 1)[1])) == [mine["idx"]]


class _RevokingWhileSigning:
    """The issuer's signer, with the registry office revoking the award while it signs."""

    def __init__(self, signer: Any, offers: OfferStore, award_key: str) -> None:
        self.signer, self.offers, self.award_key = signer, offers, award_key
        self.algorithm = signer.algorithm

    def issue(self, *args: Any, **kwargs: Any) -> str:
        self.offers.revoke(self.award_key)
        return str(self.signer.issue(*args, **kwargs))


def test_a_wallet_whose_award_is_revoked_while_its_credential_is_signed_is_told_so(
    store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = export_awards(tmp_path, 1, store.root)
    with running_issuer(fresh) as service:
        offer = service.offers.create(fresh.keys[0], ("elm",), valid_for=600)
        holder = Holder(service.issuer)
        token = holder.access_token(offer.pre_authorized_code)
        monkeypatch.setattr(service, "signer", _RevokingWhileSigning(service.signer, service.offers,
                                                                     fresh.keys[0]))
        response = holder.request(token, holder.proof(holder.nonce()))
    assert response.status_code == 400 and response.json()["error"] == "credential_request_denied"
    assert "revoked this award" in response.json()["error_description"], response.text


def test_a_second_revocation_of_an_award_that_had_only_offers_says_so(
    store: SchemaStore, tmp_path: Path
) -> None:
    fresh = export_awards(tmp_path, 1, store.root)
    offers = OfferStore.for_folder(fresh.out_dir)
    offers.create(fresh.keys[0], ("elm",), valid_for=600)
    offers.close()
    assert _revoke(fresh, fresh.keys[0]).returncode == 0
    again = _revoke(fresh, fresh.keys[0])
    assert again.returncode == 0 and "1 offer closed earlier" in again.stdout, again.stderr


def test_revoking_needs_no_journal(store: SchemaStore, tmp_path: Path) -> None:
    fresh = export_awards(tmp_path, 1, store.root)
    with running_issuer(fresh) as service:
        mine = issued_payload(service, fresh.keys[0])["status"]["status_list"]
    (fresh.out_dir / JOURNAL_NAME).unlink()
    revoked = _revoke(fresh, fresh.keys[0])
    assert revoked.returncode == 0, revoked.stderr
    assert f"index {mine['idx']}" in revoked.stdout and "offers file instead" in revoked.stderr


def test_a_status_list_never_outlasts_the_seal_certificate(exported: Exported) -> None:
    """A list signed in the seal's last day expired a day later, past the certificate a verifier
    checks it with; once the certificate has ended, no list is signed."""
    from tests.wallet.issuer_support import Clock, decode_part

    clock = Clock()
    with running_issuer(exported, clock) as service:
        uri = issued_payload(service, exported.keys[2])["status"]["status_list"]["uri"]
        end = int(exported.seal().certificate.not_valid_after_utc.timestamp())
        clock.offset = end - 3600 - time.time()  # an hour before the end
        token = requests.get(uri, timeout=10)
        assert token.status_code == 200, token.text
        payload = decode_part(token.text.split(".")[1])
        assert payload["exp"] <= end < payload["iat"] + 24 * 3600
        clock.offset = end + 60 - time.time()
        refused = requests.get(uri, timeout=10)
        assert refused.status_code == 500 and refused.json()["error"] == "server_error", refused.text
