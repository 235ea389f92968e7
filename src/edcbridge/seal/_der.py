"""Just enough DER for the structures `cryptography` does not model (QCStatements, IssuerSerial)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

SEQUENCE = 0x30
SET = 0x31
OID = 0x06
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = b"\x05\x00"


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(items)))


def context(number: int, content: bytes) -> bytes:
    """Constructed context-specific tag [number] around *content* (explicit, or implicit SET/SEQ)."""
    return tlv(0xA0 | number, content)


def generalized_time(moment: datetime) -> bytes:
    return tlv(0x18, moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def utc_time(moment: datetime) -> bytes:
    return tlv(0x17, moment.astimezone(UTC).strftime("%y%m%d%H%M%SZ").encode("ascii"))


def integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return tlv(INTEGER, value.to_bytes(size, "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def decode_oid(content: bytes) -> str:
    first = content[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(a) for a in arcs)


def read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one TLV at *offset*; return (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or pos + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos:end], end


def children(content: bytes) -> Iterator[tuple[int, bytes]]:
    """Iterate over the (tag, content) pairs inside a constructed value."""
    offset = 0
    while offset < len(content):
        tag, inner, offset = read(content, offset)
        yield tag, inner
