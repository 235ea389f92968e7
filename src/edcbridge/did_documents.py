"""DID documents given as files (``--did-document``), read from the files only: nothing is
resolved over the network. One reader for every command that takes them, whether their keys
check an Open Badge or CLR proof or VC-JWT, or a JWT of the EBSI profile."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Doc = dict[str, Any]


class DidDocumentError(ValueError):
    """A file that is not a DID document, or two files of one DID."""


def read_did_document_files(paths: Iterable[Path]) -> dict[Path, Doc]:
    """The DID document in each file at ``paths``. DidDocumentError names the file that is not a
    DID document, or two of one DID."""
    files: dict[Path, Doc] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        doc = _did_document(path)
        did = doc["id"]
        if did in origin:
            raise DidDocumentError(f"{path} and {origin[did]} are both DID documents of {did}: "
                                   "give one of them")
        files[path], origin[did] = doc, path
    return files


def by_did(files: Mapping[Path, Doc]) -> dict[str, Doc]:
    """The documents of :func:`read_did_document_files` by their DID (their ``id``)."""
    return {doc["id"]: doc for doc in files.values()}


def load_did_documents(paths: Iterable[Path]) -> dict[str, Doc]:
    """The DID documents in the files at ``paths``, by their ``id``; DidDocumentError as
    :func:`read_did_document_files` raises it."""
    return by_did(read_did_document_files(paths))


def _did_document(path: Path) -> Doc:
    """The DID document in the file at ``path``; DidDocumentError when it is none."""
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise DidDocumentError(f"{path} cannot be read ({exc.strerror or exc})") from None
    except (ValueError, RecursionError):
        raise DidDocumentError(f"{path} is not JSON: give the DID document (did.json) as published") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"].startswith("did:"):
        raise DidDocumentError(f"{path} is not a DID document (its \"id\" is no DID): give the issuer's "
                               "did.json as published")
    return doc
