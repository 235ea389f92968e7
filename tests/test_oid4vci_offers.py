"""The offers file: single use under concurrency, expiry, transaction-code limit, nonces."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from edcbridge.oid4vci.errors import OAuthError
from edcbridge.oid4vci.offers import OfferStore, code_for_reference


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def offers(tmp_path: Path, clock: Clock) -> Iterator[OfferStore]:
    store = OfferStore(tmp_path / "offers.sqlite", tx_code_attempts=3, clock=clock)
    yield store
    store.close()


def _refusal(offers: OfferStore, code: str, tx_code: str | None = None) -> tuple[int, str]:
    with pytest.raises(OAuthError) as caught:
        offers.redeem(code, tx_code, token_ttl=60)
    return caught.value.status, caught.value.error


def test_concurrent_redemptions_of_one_code_give_one_token(offers: OfferStore) -> None:
    offer = offers.create("uni/A1", ("elm",), valid_for=600)

    def attempt(_: int) -> str:
        try:
            return offers.redeem(offer.pre_authorized_code, None, token_ttl=60).access_token
        except OAuthError as exc:
            return exc.error

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, range(32)))
    assert results.count("invalid_grant") == 31
    assert len({r for r in results if r != "invalid_grant"}) == 1


def test_offer_expires(offers: OfferStore, clock: Clock) -> None:
    offer = offers.create("uni/A1", ("elm",), valid_for=60)
    assert offers.by_reference(offer.reference) is not None
    clock.now += 61
    assert offers.by_reference(offer.reference) is None
    assert _refusal(offers, offer.pre_authorized_code) == (400, "invalid_grant")


def test_reference_yields_the_code(offers: OfferStore) -> None:
    offer = offers.create("uni/A1", ("elm", "edc-sealed"), valid_for=60, tx_code_length=4)
    view = offers.by_reference(offer.reference)
    assert view is not None
    assert view.pre_authorized_code == offer.pre_authorized_code == code_for_reference(offer.reference)
    assert (view.configuration_ids, view.tx_code_length) == (("elm", "edc-sealed"), 4)
    assert offer.tx_code is not None and len(offer.tx_code) == 4 and offer.tx_code.isdigit()
    assert offers.by_reference("not-a-reference") is None


def test_tx_code_limit_and_missing_code(offers: OfferStore) -> None:
    offer = offers.create("uni/A1", ("elm",), valid_for=60, tx_code_length=6)
    wrong = "".join("1" if c == "0" else "0" for c in str(offer.tx_code))
    assert _refusal(offers, offer.pre_authorized_code) == (400, "invalid_request")  # costs nothing
    assert _refusal(offers, offer.pre_authorized_code, wrong) == (400, "invalid_grant")
    assert _refusal(offers, offer.pre_authorized_code, wrong) == (400, "invalid_grant")
    status = offers.status(offer.offer_id)
    assert status is not None and (status.state, status.tx_failures) == ("open", 2)
    assert _refusal(offers, offer.pre_authorized_code, wrong) == (400, "invalid_grant")
    status = offers.status(offer.offer_id)
    assert status is not None and status.state == "withdrawn"
    assert _refusal(offers, offer.pre_authorized_code, offer.tx_code) == (400, "invalid_grant")


def test_each_offered_credential_is_issued_once(offers: OfferStore) -> None:
    offer = offers.create("uni/A2", ("elm", "edc-sealed"), valid_for=60)
    grant = offers.redeem(offer.pre_authorized_code, None, token_ttl=30)
    assert offers.mark_issued(offer.offer_id, "edc-sealed", "n-sealed") is True
    assert offers.token(grant.access_token).state == "redeemed"  # the elm credential is still to come
    assert offers.mark_issued(offer.offer_id, "edc-sealed", "n-again") is False
    assert offers.mark_issued(offer.offer_id, "elm", "n-elm") is True
    assert offers.token(grant.access_token).state == "issued"
    assert offers.mark_issued(offer.offer_id, "elm", "n-elm-2") is False
    assert offers.notify(offer.offer_id, "n-sealed", "credential_accepted", None) is True
    assert offers.notify(offer.offer_id, "n-elm", "credential_accepted", None) is True
    assert offers.notify(offer.offer_id, "n-again", "credential_accepted", None) is False


def test_a_new_offer_closes_the_open_ones_of_its_award(offers: OfferStore) -> None:
    lost = offers.create("uni/A3", ("elm",), valid_for=60)
    redeemed = offers.create("uni/A4", ("elm",), valid_for=60)
    offers.redeem(redeemed.pre_authorized_code, None, token_ttl=30)
    other = offers.create("uni/A5", ("elm",), valid_for=60)
    newer = offers.create("uni/A3", ("elm",), valid_for=60)
    assert newer.superseded == 1
    with pytest.raises(OAuthError, match="a newer offer replaced this one") as caught:
        offers.redeem(lost.pre_authorized_code, None, token_ttl=30)
    assert caught.value.error == "invalid_grant"
    assert offers.by_reference(lost.reference) is None
    assert offers.create("uni/A4", ("elm",), valid_for=60).superseded == 0  # a redeemed offer stays
    offers.redeem(other.pre_authorized_code, None, token_ttl=30)  # other awards' offers stay open
    offers.redeem(newer.pre_authorized_code, None, token_ttl=30)


def test_token_expiry_and_single_issue(offers: OfferStore, clock: Clock) -> None:
    offer = offers.create("uni/A1", ("elm",), valid_for=60)
    grant = offers.redeem(offer.pre_authorized_code, None, token_ttl=30)
    info = offers.token(grant.access_token)
    assert (info.award_key, info.state) == ("uni/A1", "redeemed")
    assert offers.mark_issued(offer.offer_id, "elm", "n-1") is True
    assert offers.mark_issued(offer.offer_id, "elm", "n-2") is False
    assert offers.token(grant.access_token).state == "issued"
    assert offers.notify(offer.offer_id, "n-2", "credential_accepted", None) is False
    assert offers.notify(offer.offer_id, "n-1", "credential_deleted", "removed by the learner") is True
    clock.now += 31
    with pytest.raises(OAuthError) as caught:
        offers.token(grant.access_token)
    assert (caught.value.status, caught.value.error) == (401, "invalid_token")


def test_nonces_are_single_use_and_expire(offers: OfferStore, clock: Clock) -> None:
    first, second = offers.new_nonce(30), offers.new_nonce(30)
    assert first != second
    assert offers.consume_nonce(first) is True
    assert offers.consume_nonce(first) is False
    clock.now += 31
    assert offers.consume_nonce(second) is False
    assert offers.consume_nonce("never-issued") is False


def test_create_checks_its_arguments(offers: OfferStore) -> None:
    with pytest.raises(ValueError, match="at least one"):
        offers.create("uni/A1", (), valid_for=60)
    with pytest.raises(ValueError, match="4 to 12 digits"):
        offers.create("uni/A1", ("elm",), valid_for=60, tx_code_length=3)


def test_an_offers_file_from_before_client_ids_still_serves(tmp_path: Path, clock: Clock) -> None:
    """Tokens now keep the wallet's client_id: an older offers file gains the column."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE tokens (hash TEXT PRIMARY KEY, offer_id TEXT NOT NULL, expires REAL NOT NULL);"
    )
    db.close()
    store = OfferStore(path, clock=clock)
    try:
        offer = store.create("uni/A1", ("elm",), valid_for=60)
        grant = store.redeem(offer.pre_authorized_code, None, token_ttl=30, client_id="wallet-app")
        assert store.token(grant.access_token).client_id == "wallet-app"
        other = store.create("uni/A2", ("elm",), valid_for=60)
        anonymous = store.redeem(other.pre_authorized_code, None, token_ttl=30)
        assert store.token(anonymous.access_token).client_id is None
    finally:
        store.close()
    OfferStore(path, clock=clock).close()  # opened again: the column is there already


def _changes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM spent_nonces").fetchone()[0])


def test_giving_nonces_writes_nothing(tmp_path: Path) -> None:
    """Anyone may ask for a nonce: a flood of requests must not grow the offers file."""
    offers = OfferStore(tmp_path / "offers.sqlite")
    try:
        offers.new_nonce(30)  # the file exists, with its key
        files = sorted(tmp_path.iterdir())
        sizes = [f.stat().st_size for f in files]
        nonces = [offers.new_nonce(300) for _ in range(2000)]
        assert sorted(tmp_path.iterdir()) == files and [f.stat().st_size for f in files] == sizes
        assert len(set(nonces)) == 2000 and _changes(tmp_path / "offers.sqlite") == 0
        assert offers.consume_nonce(nonces[7]) and _changes(tmp_path / "offers.sqlite") == 1
    finally:
        offers.close()


def test_a_nonce_is_good_in_every_process_on_the_file_and_only_there(tmp_path: Path) -> None:
    one, two = OfferStore(tmp_path / "offers.sqlite"), OfferStore(tmp_path / "offers.sqlite")
    other = OfferStore(tmp_path / "other.sqlite")
    try:
        nonce = one.new_nonce(30)
        assert other.consume_nonce(nonce) is False  # another issuer's file
        assert two.consume_nonce(nonce) is True
        assert one.consume_nonce(nonce) is False  # spent, whoever spent it
    finally:
        for offers in (one, two, other):
            offers.close()


def test_a_nonce_altered_in_any_part_is_refused(offers: OfferStore, clock: Clock) -> None:
    nonce = offers.new_nonce(30)
    expiry, random, mac = nonce.split(".")
    later = str(int(expiry) + 3600)
    other = random[:-1] + ("B" if random.endswith("A") else "A")
    for forged in (f"{later}.{random}.{mac}", f"{expiry}.{other}.{mac}", f"{expiry}.{random}.{mac[:-2]}",
                   f"{expiry}.{random}", f"{expiry}.{random}.{mac}.x", "", "..", f"{expiry}.{random}.é"):
        assert offers.consume_nonce(forged) is False, forged
    assert offers.consume_nonce(nonce) is True
