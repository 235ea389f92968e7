"""Exported awards, found in the run journal of an output folder.

An award is offered only when its journal record is done and its files still hold the bytes
the journal recorded (sha256): what a wallet receives is exactly what was exported.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from edcbridge.oid4vci.errors import AwardErased, AwardWithdrawn, Oid4vciError
from edcbridge.oid4vci.sdjwt import epoch_seconds
from edcbridge.pipeline.journal import ERASED, JOURNAL_NAME, open_read_only, output_file
from edcbridge.validation.document import NotACredential, unwrap


@dataclass(frozen=True)
class ExportedAward:
    key: str  # <issuer>/<award_id>
    outputs: dict[str, dict[str, str]]  # format -> {"path", "sha256"}
    out_dir: Path

    def has(self, output: str) -> bool:
        return output in self.outputs

    def path(self, output: str) -> Path:
        """The file of one output format; relative journal paths are read inside the folder."""
        entry = self.outputs.get(output)
        if entry is None:
            how = "--seal P12" if output == "edc-sealed" else f"--format {output}"
            raise Oid4vciError(f"{self.key}: no '{output}' output in the journal; export it again with {how}")
        if "file" in entry:
            return output_file(self.out_dir, entry)
        recorded = Path(entry["path"])
        if recorded.is_absolute() and recorded.is_file():
            return recorded
        return self.out_dir / recorded.parent.name / recorded.name

    def read(self, output: str) -> bytes:
        path = self.path(output)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Oid4vciError(
                f"{self.key}: cannot read {path}: {exc.strerror}; export the award again"
            ) from None
        if hashlib.sha256(data).hexdigest() != self.outputs[output]["sha256"]:
            raise Oid4vciError(
                f"{self.key}: {path} changed since it was exported (sha256 differs from the "
                "journal); export the award again"
            )
        return data

    def document(self, output: str) -> dict[str, Any]:
        try:
            doc = json.loads(self.read(output).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Oid4vciError(f"{self.key}: {self.path(output)} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise Oid4vciError(f"{self.key}: {self.path(output)} is not a JSON object")
        return doc


    def credential(self) -> dict[str, Any]:
        """The credential itself: the plain JSON-LD, else the sealed file's payload."""
        output = "edc" if self.has("edc") or not self.has("edc-sealed") else "edc-sealed"
        try:
            return unwrap(self.document(output))[0]
        except NotACredential as exc:
            raise Oid4vciError(f"{self.key}: {self.path(output)} holds no credential: {exc}") from None

    def expired_on(self, now: float) -> str | None:
        """The credential's end date when it has passed (``validUntil``, or VC 1.1's
        ``expirationDate``): a wallet given it would hold a credential every verifier refuses."""
        doc = self.credential()
        for name in ("validUntil", "expirationDate"):
            end = doc.get(name)
            if isinstance(end, str) and (ends := epoch_seconds(end)) is not None and ends <= now:
                return end
        return None


class AwardSource:
    """Read-only view of ``OUT/.edcbridge-journal.sqlite``."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / JOURNAL_NAME
        if not self.path.is_file():
            raise Oid4vciError(f"no journal at {self.path}: run 'edcbridge export ... -o {out_dir}' first")
        self._query("SELECT key, state FROM records LIMIT 1", ())  # a journal, readable: say so now

    def _query(self, sql: str, params: tuple[str, ...]) -> list[tuple[str, str]]:
        try:  # read-only, by a URI that keeps a folder named "out #2" or "100%" that folder
            db = open_read_only(self.path)
        except sqlite3.Error as exc:
            raise Oid4vciError(f"cannot read the journal {self.path} ({exc}): is it an edcbridge "
                               "export folder? Export again into a new folder") from None
        try:
            return [(str(a), str(b)) for a, b in db.execute(sql, params).fetchall()]
        except sqlite3.Error as exc:
            raise Oid4vciError(f"cannot read the journal {self.path} ({exc}): is it an edcbridge "
                               "export folder? Export again into a new folder") from None
        finally:
            db.close()

    def get(self, key: str) -> ExportedAward:
        """The outputs of a finished record (as ``Journal.done`` reads them), read-only."""
        rows = self._query("SELECT key, outputs FROM records WHERE key = ? AND state = 'done'", (key,))
        if not rows and self._keys(key, "withdrawn"):
            self._refuse_withdrawn(key)
        if not rows and self._keys(key, ERASED):
            self._refuse_erased(key)
        if not rows:
            raise Oid4vciError(
                f"{key}: not exported (no finished record in {self.path}); run 'edcbridge "
                f"export' for it first, or check the key <issuer>/<award_id>"
            )
        return ExportedAward(key, json.loads(rows[0][1]), self.out_dir)

    def resolve(self, name: str) -> str:
        """A journal key from ``<issuer>/<award_id>`` or a bare award id that is unique."""
        keys = self._keys(name, "done")
        if not keys:
            withdrawn = self._keys(name, "withdrawn")
            if withdrawn:
                self._refuse_withdrawn(withdrawn[0])
            erased = self._keys(name, ERASED)
            if erased:
                self._refuse_erased(erased[0])
            raise Oid4vciError(
                f"{name}: no exported award with this key in {self.path}; use <issuer>/<award_id>"
            )
        if len(keys) > 1:
            raise Oid4vciError(
                f"{name}: several issuers have this award id ({', '.join(keys)}); "
                "name it as <issuer>/<award_id>"
            )
        return keys[0]

    def _keys(self, name: str, state: str) -> list[str]:
        """The keys of the records in ``state`` that ``name`` (a key, or a bare award id) names."""
        if "/" in name:
            rows = self._query("SELECT key, state FROM records WHERE key = ? AND state = ?", (name, state))
        else:
            rows = self._query("SELECT key, state FROM records WHERE state = ? "
                               "AND substr(key, instr(key, '/') + 1) = ?", (state, name))
        return sorted(row[0] for row in rows)

    def _refuse_erased(self, key: str) -> NoReturn:
        """An erased award's record keeps, as its note, when, by whom and why it was erased."""
        rows = self._query("SELECT key, coalesce(error, 'erased') FROM records WHERE key = ?", (key,))
        note = rows[0][1] if rows else "erased"
        raise AwardErased(f"{key}: {note} (edcbridge erase: its learner's data were erased from "
                          f"{self.out_dir}): it is not offered or issued, and no export makes it again")

    def _refuse_withdrawn(self, key: str) -> NoReturn:
        raise AwardWithdrawn(f"{key}: withdrawn from {self.out_dir} (edcbridge withdraw; 'edcbridge audit "
                             f"show {self.out_dir}' says who, when and why): it is not offered or issued")
