"""A wallet holding an access token for an award whose learner's data are erased meanwhile
(``edcbridge erase``) is told so, over real HTTP (uvicorn on 127.0.0.1), and gets no credential."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-erased"), 1, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def test_a_token_obtained_before_the_erasure_is_told_the_award_was_erased(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code, offer.tx_code)
    command = [sys.executable, "-m", "edcbridge", "erase", str(exported.out_dir), exported.keys[0],
               "--reason", "the learner asked", "-q"]
    erased = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert erased.returncode == 0, erased.stderr
    response = holder.request(token, holder.proof(holder.nonce()))
    assert response.status_code == 400 and "credentials" not in response.json(), response.text
    answer = response.json()
    assert answer["error"] == "credential_request_denied"
    assert "erased" in answer["error_description"]
    assert "already issued" not in answer["error_description"]
