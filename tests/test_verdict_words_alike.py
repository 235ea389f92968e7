"""The preview page gives a seal the verdict word verify and verify-xml give it, for the same
checks: a reader of the page and a script reading --json come to the same answer."""

from __future__ import annotations

import pytest

from edcbridge.preview.page import SealStatus
from edcbridge.seal.verify import Check, seal_outcome

OK = ("OK", "fine")
CASES = {
    "all-ok": {"SEAL": OK, "EXPIRY": OK},
    "seal-broken": {"SEAL": ("ERROR", "signature does not verify"), "EXPIRY": OK},
    "seal-unchecked": {"SEAL": ("ERROR", "SignatureMethod 'x' (RSASSA-PSS) cannot be checked here: "
                                         "another mask function"), "EXPIRY": OK},
    "unchecked-and-revoked": {"SEAL": ("ERROR", "SignatureMethod 'x' cannot be checked here"),
                              "REVOCATION": ("ERROR", "certificate revoked on 2024-01-01")},
    "unchecked-and-expired": {"SEAL": ("ERROR", "SignatureMethod 'x' cannot be checked here"),
                              "EXPIRY": ("ERROR", "credential expired on 2024-01-01")},
    "certificate": {"SEAL": OK, "CERTIFICATE": ("ERROR", "no SigningCertificateV2")},
    "timestamp": {"SEAL": OK, "TIMESTAMP": ("ERROR", "token does not verify")},
    "revoked": {"SEAL": OK, "REVOCATION": ("ERROR", "credential revoked per status list")},
    "revocation-unknown": {"SEAL": OK, "REVOCATION": ("ERROR", "no current revocation data")},
    "format": {"SEAL": OK, "FORMAT": ("ERROR", "2 violation(s)")},
    "expired": {"SEAL": OK, "EXPIRY": ("ERROR", "credential expired on 2024-01-01")},
}


@pytest.mark.parametrize("anchored", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_preview_and_verify_give_the_same_verdict_word(case: str, anchored: bool) -> None:
    checks = CASES[case]
    verify = seal_outcome({n: Check(s, r) for n, (s, r) in checks.items()},  # type: ignore[arg-type]
                          anchored=anchored, sealer=None)
    preview, _sentence = SealStatus("JAdES", checks, anchored=anchored).verdict
    assert preview == verify.verdict, (verify.verdict, verify.sentence, _sentence)
