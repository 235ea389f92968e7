"""The offers a DC4EU gateway made for ``upload-dc4eu``, recorded beside their QR codes.

The gateway's contract (``POST /notification``: ``{"data": {"credential_offer_url",
"qr_base64"}}``) says nothing of an offer ending when another is asked for the same document,
nor how long one stays open, and has no way to ask. So an offer once shown is taken to stand:
a run again shows it as it was, and asks offers only for the documents that have none. Each
record, ``OUT/offers-dc4eu/<issuer>_<award>.json`` next to the award's QR code, names the gateway
and document it holds for, so that another gateway or authentic source gets its own offer. It
holds the link its QR code holds, and is as private as the ``offer`` command's QR codes, and
the digest of the upload request (:func:`edcbridge.oid4vci.dc4eu.document_digest`), for a run
again to tell a document exported again with other content from the one the gateway holds;
records written before it was kept have none.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from edcbridge.oid4vci.dc4eu import offer_link_ok
from edcbridge.output import write_atomic


@dataclass(frozen=True)
class GatewayOfferRecord:
    gateway: str  # the gateway's API root, as the client reaches it
    authentic_source: str
    document_id: str
    credential_offer_url: str
    offered: str  # when, UTC, as 2026-01-31T12:00:00Z
    document_digest: str | None = None  # of the document uploaded; None in records made before

    def holds_for(self, gateway: str, authentic_source: str, document_id: str) -> bool:
        return (self.gateway, self.authentic_source, self.document_id) == (
            gateway, authentic_source, document_id)


_FIELDS = tuple(GatewayOfferRecord.__dataclass_fields__)[:5]  # required: the digest may be missing
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # shown on terminals: nothing else
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def record_path(png: Path) -> Path:
    """The record of the offer whose QR code is ``png``."""
    return png.with_suffix(".json")


def read_record(path: Path) -> GatewayOfferRecord | None:
    """The record at ``path``; None when there is none, or none that can be used (a new offer
    is then asked for, as before any was recorded)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    fields = [data.get(name) if isinstance(data, dict) else None for name in _FIELDS]
    texts = [value for value in fields if isinstance(value, str)]
    if len(texts) != len(_FIELDS):
        return None
    digest = data.get("document_digest")
    known = digest if isinstance(digest, str) and _DIGEST.fullmatch(digest) else None
    record = GatewayOfferRecord(texts[0], texts[1], texts[2], texts[3], texts[4], known)
    usable = offer_link_ok(record.credential_offer_url) and _MOMENT.fullmatch(record.offered)
    return record if usable else None


def write_record(path: Path, gateway: str, authentic_source: str, document_id: str, link: str,
                 digest: str) -> None:
    """Records the offer just made for the document of ``digest`` (raises :class:`OSError`)."""
    offered = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = GatewayOfferRecord(gateway, authentic_source, document_id, link, offered, digest)
    write_atomic(path, (json.dumps(asdict(record), indent=1) + "\n").encode("utf-8"), mode=0o600)
