"""Organisation logos: an https URL as written, an image file next to the catalogue embedded
as a data: URI (Open Badges wallets show the issuer's ``image``; a data: URI needs no host)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import urlsplit

from edcbridge.model import Catalogue
from edcbridge.model.records import Organisation, Problem

MAX_LOGO_BYTES = 256_000
_KINDS = "PNG, JPEG, GIF, WebP or SVG"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")
_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}")


def media_type(data: bytes) -> str | None:
    """The image type of ``data`` from its first bytes (None when it is none of those taken)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"<svg" in data[:2048]:
        return "image/svg+xml"
    return None


def _embedded(logo: str, folder: Path) -> tuple[str | None, str, str]:
    """(the logo as the badge states it, or None; the problem; its fix)."""
    if _SCHEME.match(logo):
        if logo.startswith("https://") and urlsplit(logo).hostname:
            return logo, "", ""
        if _DATA.fullmatch(logo) and len(logo) <= MAX_LOGO_BYTES * 4 // 3 + 40:
            return logo, "", ""
        return None, f"{logo[:60]!r} is not an https URL nor an image file", \
            f"give an https:// URL, or the path of a {_KINDS} file relative to the catalogue"
    path = folder / logo
    if not path.is_file():
        return None, f"logo file {str(path)!r} not found", \
            f"put the image there, or give its path relative to the catalogue ({folder}) or an https URL"
    if path.stat().st_size > MAX_LOGO_BYTES:
        return None, f"logo file {str(path)!r} is larger than 256 kB (wallets embed it in every badge)", \
            "give a smaller image (a few hundred pixels wide is plenty) or an https URL"
    data = path.read_bytes()
    kind = media_type(data)
    if kind is None:
        return None, f"logo file {str(path)!r} is not a {_KINDS} image", \
            f"give a {_KINDS} file or an https URL"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}", "", ""


def embed_logos(catalogue: Catalogue, folder: Path) -> tuple[Catalogue, list[Problem]]:
    """The catalogue with each logo file embedded, and the logos that cannot be shown."""
    organisations: list[Organisation] = []
    problems: list[Problem] = []
    for index, org in enumerate(catalogue.organisations):
        if org.logo is None:
            organisations.append(org)
            continue
        logo, problem, fix = _embedded(org.logo, folder)
        if logo is None:
            problems.append((("organisations", index, "logo"), problem, fix))
        organisations.append(org.model_copy(update={"logo": logo}))
    return catalogue.model_copy(update={"organisations": tuple(organisations)}), problems
