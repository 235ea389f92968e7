"""What the issuer publishes: credential issuer metadata, OAuth server metadata, type metadata
and credential offers (OpenID4VCI 1.0 sections 4 and 12; RFC 8414; SD-JWT VC type metadata).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from edcbridge.oid4vci.proof import PROOF_ALGORITHMS
from edcbridge.oid4vci.sdjwt import ELM_CLAIM, TYP, VCT
from edcbridge.seal.jades import ALGORITHMS as JADES_ALGORITHMS

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
ELM_CONFIGURATION = "elm"
SEALED_CONFIGURATION = "edc-sealed"
SEALED_FORMAT = "edc+jades"  # edcbridge profile: the JAdES-sealed EDC JSON-LD object, unbound
CONFIGURATIONS = (ELM_CONFIGURATION, SEALED_CONFIGURATION)


def _label(label: str, description: str) -> list[dict[str, str]]:
    return [{"locale": "en", "name": label, "description": description}]


def elm_claims() -> list[dict[str, Any]]:
    """Claim descriptions, as claims path pointers into the credentials edcbridge issues: a
    string is an object key, ``null`` or an integer selects array elements only. Names and
    titles are ELM language maps (objects keyed by language), so a path ends at the map: no
    one language key is in every credential, and ``null`` on an object makes a wallet's lookup
    fail. ``hasClaim`` is one object in our credentials, not an array."""
    subject = [ELM_CLAIM, "credentialSubject"]
    return [
        {"path": [*subject, "givenName"], "display": _label("Given name", "Given name of the learner")},
        {
            "path": [*subject, "familyName"],
            "display": _label("Family name", "Family name of the learner"),
        },
        {
            "path": [*subject, "dateOfBirth"],
            "display": _label("Date of birth", "Date of birth of the learner"),
        },
        {
            "path": [*subject, "hasClaim", "title"],
            "display": _label("Achievement", "What the learner achieved"),
        },
        {
            "path": [ELM_CLAIM, "issuer", "legalName"],
            "display": _label("Awarding body", "Legal name of the issuing organisation"),
        },
    ]


def _language(tag: str) -> dict[str, str]:
    """The language of a type metadata display entry: ``locale``, which the SD-JWT VC draft
    requires (Display Metadata, Claim Display Metadata), and ``lang``, its earlier name, which
    DC4EU's ELM type metadata still uses."""
    return {"locale": tag, "lang": tag}


def type_metadata() -> dict[str, Any]:
    """SD-JWT VC type metadata for ``urn:eudi:elm:1`` as edcbridge issues it."""
    claims = [{**claim, "sd": "always"} for claim in elm_claims()[:3]]
    for claim in claims:
        claim["display"] = [
            {**_language(d["locale"]), "label": d["name"], "description": d["description"]}
            for d in claim["display"]
        ]
    return {
        "vct": VCT,
        "name": "ELM Credential",
        "description": "European Learning Model (ELM) credential: the EDC JSON-LD under the claim 'elm'.",
        "display": [
            {
                **_language("en"),
                "name": "ELM Credential",
                "description": "Portable European Learning Model (ELM) credential.",
            }
        ],
        "claims": claims,
    }


def issuer_metadata(
    issuer: str, signing_algorithm: str, display_name: str, batch_size: int | None = None
) -> dict[str, Any]:
    """``batch_size``: the most key proofs a credential request may carry (12.2.4: 2 or more),
    one credential issued per proof; None for one proof per request, which the metadata then
    says by leaving ``batch_credential_issuance`` out."""
    base = issuer.rstrip("/")
    batch = {} if batch_size is None else {"batch_credential_issuance": {"batch_size": batch_size}}
    return {
        "credential_issuer": issuer,
        "credential_endpoint": f"{base}/credential",
        "nonce_endpoint": f"{base}/nonce",
        "notification_endpoint": f"{base}/notification",
        **batch,
        "display": [{"name": display_name, "locale": "en"}],
        "credential_configurations_supported": {
            ELM_CONFIGURATION: {
                "format": TYP,
                "vct": VCT,
                "scope": ELM_CONFIGURATION,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [signing_algorithm],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}
                },
                "credential_metadata": {
                    "display": _label("ELM Credential", "European Learning Model credential (SD-JWT VC)"),
                    "claims": elm_claims(),
                },
            },
            SEALED_CONFIGURATION: {
                "format": SEALED_FORMAT,
                "scope": SEALED_CONFIGURATION,
                "credential_signing_alg_values_supported": list(JADES_ALGORITHMS),
                "credential_metadata": {
                    "display": _label(
                        "European Digital Credential", "The sealed EDC 3.2 JSON-LD (JAdES), as exported"
                    ),
                },
            },
        },
    }


def oauth_metadata(issuer: str) -> dict[str, Any]:
    """The issuer is its own authorization server, for the pre-authorized code grant only."""
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer.rstrip('/')}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
    }


def offer_object(
    issuer: str, configuration_ids: tuple[str, ...], code: str, tx_code_length: int | None
) -> dict[str, Any]:
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code_length is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": tx_code_length,
            "description": "The PIN the registry office sent you separately",
        }
    return {
        "credential_issuer": issuer,
        "credential_configuration_ids": list(configuration_ids),
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def offer_uri(issuer: str, reference: str) -> str:
    return f"{issuer.rstrip('/')}/offers/{reference}"


def offer_link_by_value(offer: dict[str, Any]) -> str:
    text = json.dumps(offer, separators=(",", ":"))
    return f"{OFFER_SCHEME}?{urlencode({'credential_offer': text}, quote_via=quote)}"


def offer_link_by_reference(issuer: str, reference: str) -> str:
    return (
        f"{OFFER_SCHEME}?{urlencode({'credential_offer_uri': offer_uri(issuer, reference)}, quote_via=quote)}"
    )
