"""Validation results as data: what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


def seal_not_checked(done: str, verifier: str, seal: str = "the seal") -> str:
    """What a command that reads a sealed file without verifying it says of the seal."""
    return f"{done}, {seal} was not checked: run 'edcbridge {verifier}' before relying on it"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    where: str
    message: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def render(self) -> str:
        text = f"{self.severity.upper()} {self.code} at {self.where}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


@dataclass(slots=True)
class Report:
    """Findings for one document (a credential file or a record)."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    sealed: bool | None = None
    """Whether the file carries a seal, for validate's output (None: not said, as for a record)."""
    verifier: str = "verify"  # the command that checks the seal validation leaves alone
    seal: str = "the seal"  # what vouches for the file: a JWT's signature is no seal
    not_a_credential: str | None = None
    """What the file is when it is one an output folder holds beside the credentials (a preview
    page, a report, a DID document): nothing was validated, and that is no failure."""

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def extend(self, check: str, findings: list[Finding]) -> None:
        self.checks.append(check)
        self.findings.extend(findings)

    def seal_note(self) -> str | None:
        """What an "OK" does not say of a sealed file: its seal was left unchecked."""
        if not self.sealed:
            return None
        return seal_not_checked("only the content was validated", self.verifier, self.seal)

    def as_dict(self) -> dict[str, Any]:
        found = {"source": self.source, "ok": self.ok, "checks": self.checks,
                 "findings": [f.as_dict() for f in self.findings],
                 **({"not_a_credential": self.not_a_credential} if self.not_a_credential else {})}
        if self.sealed is None:
            return found
        note = self.seal_note()
        return {**found, "sealed": self.sealed, "seal_checked": False,
                **({"seal_note": note} if note else {})}
