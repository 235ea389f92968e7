"""Read credentials back into the internal model: EDC 3.x JSON-LD and EDC XML 1.x.

JSON-LD comes plain, in the EC's ``{"credential": ...}`` upload wrapper, or JAdES-sealed
(the payload is read; the seal is checked by ``edcbridge verify``). XML 1.x credentials (also
inside a mandated ``verifiablePresentation``) are first turned into the same node shape as the
JSON-LD (references resolved, :mod:`.edc_xml`), so one reader builds the records (:mod:`.records`).

The result is an :class:`Imported`: the award and a catalogue holding what the award refers
to (issuer, awarding body, quality assurance, the specification and its related ones).
"""

from __future__ import annotations

import json
from pathlib import Path

from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem, unread_reason
from edcbridge.cut_json import CUT_CHARACTER, bytes_stop_line, incomplete_json, json_stop_line
from edcbridge.jws_compact import compact_jws
from edcbridge.unique_json import DuplicateMember, loads_unique
from edcbridge.validation.document import NotACredential, unwrap
from edcbridge.xml.importer.edc_xml import all_records_from_xml, records_from_xml
from edcbridge.xml.importer.jsonld import _from_graph, _linked, _title_of, achievement_claims
from edcbridge.xml.importer.nodes import Node, _first
from edcbridge.xml.importer.records import records_from_jsonld
from edcbridge.xml.importer.result import Imported, NotImportable
from edcbridge.xml.safe import MAX_BYTES, XmlInputError, looks_like_xml, parse_bytes

__all__ = ["Imported", "NotImportable", "import_all", "import_bytes", "import_file", "read_credential_file",
           "records_from_jsonld", "records_from_xml"]


def import_all(data: bytes, source: str = "<document>") -> list[Imported]:
    """Every award a credential document claims: EDC XML 1.x and EDC JSON-LD (hasClaim as a list)
    may claim several achievements, and the model holds one per award, so each is read as an
    award of its own."""
    if data.strip() and looks_like_xml(data):
        return all_records_from_xml(parse_bytes(data, source=source))
    credential, form = _jsonld_credential(data, source)
    person = _first(credential.get("credentialSubject"))
    claims = achievement_claims(person) if isinstance(person, dict) else []
    if len(claims) < 2:
        return [_jsonld_records(credential, form, source)]
    found = []
    for which, claim in enumerate(claims):
        try:
            found.append(_jsonld_records(credential, form, source, which))
        except NotImportable as exc:
            raise NotImportable(f"claim {which + 1} of {len(claims)} ({_title_of(claim)}): {exc}") from None
    return found


def import_bytes(data: bytes, source: str = "<document>") -> Imported:
    """Read any supported credential document (format detected from the content); of a credential
    claiming several achievements, one (see :func:`import_all`)."""
    if not data.strip():
        raise NotACredential(f"{source}: the file is empty; give an EDC JSON-LD or XML credential")
    if looks_like_xml(data):
        return records_from_xml(parse_bytes(data, source=source))
    credential, form = _jsonld_credential(data, source)
    return _jsonld_records(credential, form, source)


def _jsonld_credential(data: bytes, source: str) -> tuple[Node, str]:
    """The credential of a JSON-LD document (plain, upload wrapper or JAdES), its references put
    in place, and the form it comes in."""
    if not data.strip():
        raise NotACredential(f"{source}: the file is empty; give an EDC JSON-LD or XML credential")
    try:
        text = data.decode("utf-8-sig")
        document = loads_unique(text)
    except DuplicateMember as exc:
        raise NotACredential(f"{source}: {exc}; keep one of them") from None
    except UnicodeDecodeError as exc:
        stop = bytes_stop_line(data, exc)
        if stop is not None:
            raise NotACredential(f"{source}: {incomplete_json(stop, CUT_CHARACTER)}") from None
        raise NotACredential(f"{source}: not UTF-8 text; save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        document = compact_jws(text)  # header.payload.signature, as validate reads it
        stop = json_stop_line(text, exc) if document is None else None
        if stop is not None:
            raise NotACredential(f"{source}: {incomplete_json(stop, exc.msg)}") from None
        if document is None:
            raise NotACredential(f"{source}: neither XML nor JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise NotACredential(f"{source}: nested too deep to be a credential") from None
    except ValueError as exc:  # a number of more than 4,300 digits
        from edcbridge.output import unreadable_json

        raise NotACredential(f"{source}: not a credential ({unreadable_json(exc)})") from None
    document, described = _from_graph(document)
    try:
        credential, form = unwrap(document)
    except NotACredential as exc:
        raise NotACredential(f"{source}: {exc}") from None
    if form == "jades":
        from edcbridge.seal.ebsi_verify import DID_JWT_FORM, is_did_signed_jws

        form = DID_JWT_FORM if is_did_signed_jws(data) else form
    try:
        return _linked(credential, described), form
    except (AttributeError, TypeError) as exc:
        raise _unexpected(source, exc) from None


def _jsonld_records(credential: Node, form: str, source: str, which: int | None = None) -> Imported:
    try:
        return records_from_jsonld(credential, "edc-jsonld", form, which=which)
    except (AttributeError, TypeError) as exc:
        raise _unexpected(source, exc) from None


def _unexpected(source: str, exc: Exception) -> NotImportable:
    """A value of another JSON type than EDC 3 gives there."""
    return NotImportable(f"{source}: the credential holds a value of an unexpected kind where EDC 3 "
                         f"expects another ({exc}); it cannot be read")


def read_credential_file(path: Path) -> bytes:
    """A credential file's bytes, refused unread above ``MAX_BYTES``."""
    try:
        return read_bounded(path, MAX_BYTES)
    except TooLarge as exc:
        raise XmlInputError(too_large_problem(path, exc)) from None
    except OSError as exc:
        problem, fix = unread_reason(path, exc)
        raise NotACredential(f"{path}: {problem}: {fix}") from None


def import_file(path: Path) -> Imported:
    return import_bytes(read_credential_file(path), str(path))
