"""A server answering a download with an error status: the message says what to do, for a
mirror (put the file there, check its credentials) as for an official server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from edcbridge.schemas import SchemaStoreError, manifest
from edcbridge.schemas.download import HttpFetcher
from tests.fake_http import FakeServer, Reply

MIRROR_FIXES = {
    404: "the mirror holds no file at that address: put the official file there (at its manifest "
         "path below the --mirror URL), or install with --from DIR",
    403: "the mirror refused the request: check the user name and password or the token in the "
         "--mirror URL, or install with --from DIR",
    503: "the mirror failed: try again later, or install with --from DIR",
}


@pytest.mark.parametrize("status", sorted(MIRROR_FIXES))
def test_a_mirror_answering_an_error_says_the_fix(status: int) -> None:
    server = FakeServer(lambda request: Reply(status, b"no", "text/plain")).start()
    try:
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher(server.base_url + "/mirror")(manifest()[0])
    finally:
        server.stop()
    assert f"answered HTTP {status} " in str(failed.value)
    assert str(failed.value).endswith(MIRROR_FIXES[status])


def test_an_official_url_answering_an_error_says_the_fix() -> None:
    server = FakeServer(lambda request: Reply(404, b"gone", "text/plain")).start()
    entry = replace(manifest()[0], url=server.base_url + "/context.jsonld", copy=None)
    try:
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher()(entry)
    finally:
        server.stop()
    assert str(failed.value).endswith(
        "answered HTTP 404 Not Found: the official server no longer serves it there: install "
        "from a copy of the files with --from DIR or --download --mirror URL")
