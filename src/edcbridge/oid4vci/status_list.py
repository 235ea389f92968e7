"""Revocation of issued SD-JWT VCs by IETF Token Status List (draft-ietf-oauth-status-list).

Each SD-JWT VC carries ``status.status_list = {idx, uri}``; the issuer serves, at ``uri``, a
Status List Token: a JWT (``typ: statuslist+jwt``) signed with the seal, whose ``status_list``
holds one bit per credential (``bits: 1``; 0 valid, 1 invalid), packed least significant bit
first and compressed with DEFLATE in the ZLIB format.

Indices are drawn at random from lists of :data:`LIST_SIZE` entries, and a list takes new
credentials only while less than half of it is used: which credentials a list holds, and in
what order they were issued, does not show (the privacy the draft asks for); a full list makes
way for the next one.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable

LIST_SIZE = 131_072  # entries per list: 16 KiB of bits, the herd the W3C status lists ask for
OPEN_UNTIL = LIST_SIZE // 2  # a list takes new credentials while fewer than this use it
VALID, INVALID = 0, 1
TOKEN_TYPE = "statuslist+jwt"
MEDIA_TYPE = "application/statuslist+jwt"
TTL = 300  # seconds a verifier may keep a fetched list (the ``ttl`` claim)


def pack(invalid: Iterable[int], size: int = LIST_SIZE) -> bytes:
    """The list's bytes with the bit of each index in ``invalid`` set (bit 0 of byte 0 is index 0)."""
    bits = bytearray(size // 8)
    for index in invalid:
        bits[index // 8] |= 1 << (index % 8)
    return bytes(bits)


def encode(packed: bytes) -> str:
    """``lst``: the packed bits, DEFLATE in ZLIB format at its highest compression, base64url."""
    return base64.urlsafe_b64encode(zlib.compress(packed, 9)).rstrip(b"=").decode("ascii")


def list_uri(issuer: str, number: int) -> str:
    """The ``uri`` of list ``number``, which its token's ``sub`` repeats character for character."""
    return f"{issuer.rstrip('/')}/status/{number}"


def list_number(segment: str) -> int | None:
    """The list a path segment names, in its one spelling (``1``; not ``01`` or another script's
    digits): a list is served only at the URI its ``sub`` names, so verifiers comparing the two
    (draft-ietf-oauth-status-list, 8.3 step 4a) never see them differ."""
    if segment.isascii() and segment.isdigit() and len(segment) < 10 and segment == str(int(segment)):
        return int(segment)
    return None


def accepts_token(accept: str | None) -> bool:
    """Whether an ``Accept`` header admits :data:`MEDIA_TYPE` (RFC 9110 12.5.1: the most specific
    range that matches decides, ``q=0`` refuses); a request without one takes it. A verifier that
    asks only for the CWT form (``application/statuslist+cwt``) is not sent a JWT."""
    if accept is None or not accept.strip():
        return True
    ranks = {MEDIA_TYPE: 2, "application/*": 1, "*/*": 0}
    best: tuple[int, float] | None = None
    for media_range in accept.split(","):
        kind, *parameters = (part.strip() for part in media_range.split(";"))
        rank = ranks.get(kind.lower())
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, _quality(parameters))
    return best is not None and best[1] > 0


def _quality(parameters: list[str]) -> float:
    """The ``q`` of a media range (1 when absent or malformed)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 1.0
    return 1.0
