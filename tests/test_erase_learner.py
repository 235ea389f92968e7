"""Finding a learner's awards in an output folder (``erase --learner/--email``), in the forms
a credential file may take that a short export does not make: a signed JWT, and an address
that a mailto IRI or URI percent-encodes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from edcbridge.mapping.ebsi import mailto_uri
from edcbridge.mapping.edc import mailto
from edcbridge.mapping.nodes import credential_id
from edcbridge.output import safe_name
from edcbridge.pipeline.erase_learner import Learner, awards_of

STUDENT = "02214587"


def _credential(key: str, student: str, address: str) -> dict[str, object]:
    issuer, award = key.split("/", 1)
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": credential_id(issuer, award),
            "credentialSubject": {"identifier": {"notation": student},
                                  "contactPoint": {"emailAddress": {"id": address, "type": "Mailbox"}}}}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(doc: dict[str, object]) -> bytes:
    header = _b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(doc).encode())}.{_b64(b'signature')}".encode()


def _write(out: Path, folder: str, key: str, suffix: str, data: bytes) -> None:
    (out / folder).mkdir(parents=True, exist_ok=True)
    (out / folder / (safe_name(*key.split("/", 1)) + suffix)).write_bytes(data)


@pytest.mark.parametrize("address", ["ana#1@example.org", "zoë.ana/x@example.org"])
def test_the_awards_of_a_learner_are_found_in_signed_jwts_and_percent_encoded_addresses(
        tmp_path: Path, address: str) -> None:
    mine, jwt_only, other = "imperial/A-1", "imperial/A-2", "imperial/B-1"
    _write(tmp_path, "edc", mine, ".jsonld", json.dumps(_credential(mine, STUDENT, mailto(address))).encode())
    ebsi = _credential(jwt_only, STUDENT, mailto_uri(mailto(address)))  # the EBSI profile's URI
    _write(tmp_path, "ebsi", jwt_only, ".jwt", _jwt(ebsi))
    _write(tmp_path, "ebsi", other, ".jwt", _jwt(_credential(other, "99999999", "mailto:bo@example.org")))
    keys = [mine, jwt_only, other]

    by_id = awards_of(tmp_path, Learner("--learner", STUDENT), keys)
    by_address = awards_of(tmp_path, Learner("--email", address.upper()), keys)

    assert by_id.keys == [mine, jwt_only]
    assert by_address.keys == [mine, jwt_only]
    assert by_address.how == {mine: ["edc/"], jwt_only: ["ebsi/"]}


def test_the_journal_answers_which_awards_went_to_an_address_and_which_are_not_erased(tmp_path: Path) -> None:
    from edcbridge.pipeline.erase_learner import delivered_to, not_erased
    from edcbridge.pipeline.journal import Journal

    journal = Journal(tmp_path / "journal.sqlite")
    for key in ("org/C", "org/A", "org/B"):
        journal.record(key, "i-" + key, "done", None, {"edc-sealed": {"path": key, "sha256": "x"}}, None,
                       ["issued"])
    journal.queue_delivery("org/A", "wallet", " Learner@Example.org", "a", "x")
    journal.queue_delivery("org/A", "europass", "other@example.org", "a", "x")
    journal.queue_delivery("org/B", "wallet", "other@example.org", "b", "x")
    journal.queue_delivery("org/C", "wallet", None, "c", "x")
    journal.commit()
    journal.erase("org/C", "asked", "by the learner")

    assert journal.delivered_to("learner@example.ORG") == {"org/A": True, "org/B": False}
    assert journal.not_erased() == ["org/A", "org/B"]
    assert delivered_to(journal, "learner@example.org") == journal.delivered_to("learner@example.org")
    assert not_erased(journal) == journal.not_erased()
    journal.close()
