"""The OpenID4VCI 1.0 protocol, independent of the web framework.

Each public method takes what a request carries (form fields, JSON body bytes, the
``Authorization`` header) and returns the JSON answer, or raises :class:`OAuthError` with the
status and error code the specification gives. The methods block (SQLite, signing): the ASGI
app runs them in worker threads.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edcbridge.oid4vci import status_list
from edcbridge.oid4vci.errors import (
    AwardErased,
    AwardWithdrawn,
    BearerTokenRequired,
    OAuthError,
    Oid4vciError,
)
from edcbridge.oid4vci.metadata import (
    CONFIGURATIONS,
    ELM_CONFIGURATION,
    PRE_AUTHORIZED_GRANT,
    SEALED_CONFIGURATION,
    issuer_metadata,
    oauth_metadata,
    offer_object,
    type_metadata,
)
from edcbridge.oid4vci.offers import (
    AWARD_WITHDRAWN,
    AWARD_WITHDRAWN_TEXT,
    ERASED,
    ERASED_TEXT,
    REVOKED,
    OfferStore,
    TokenInfo,
    new_secret,
)
from edcbridge.oid4vci.proof import ProofPolicy, verify_proof
from edcbridge.oid4vci.sdjwt import SdJwtIssuer
from edcbridge.oid4vci.source import AwardSource, ExportedAward
from edcbridge.oid4vci.trail import record_closing
from edcbridge.output import printable
from edcbridge.pipeline.journal import actor
from edcbridge.seal.certs import validity_problem
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import certificate_identity
from edcbridge.sealing import issuer_mismatch

LOG = logging.getLogger("edcbridge.oid4vci")

NOTIFICATION_EVENTS = ("credential_accepted", "credential_failure", "credential_deleted")
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 2.1
MIN_BATCH_SIZE = 2  # OpenID4VCI 1.0 12.2.4: batch_size "MUST be 2 or greater"
LOG_FIELD = 300  # characters of a request's path, or of an error description, that a log line shows


def clip(text: str, limit: int = LOG_FIELD) -> str:
    """``text`` cut to ``limit`` characters for a log line, saying how much was cut: a client
    chooses a request's path (up to 32 KiB) and much that error descriptions quote."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text) - limit} more characters cut]"


@dataclass(frozen=True)
class IssuerSettings:
    issuer_url: str  # the credential issuer identifier wallets see (scheme, host, port, path)
    out_dir: Path  # the export folder: its journal and the offers file
    token_ttl: int = 600
    nonce_ttl: int = 300
    tx_code_attempts: int = 3
    proof_max_age: int = 300
    display_name: str = "edcbridge issuer"
    signing_algorithm: str = ""  # default: from the seal key
    batch_size: int | None = None  # most key proofs (copies) a credential request takes; None: one

    def __post_init__(self) -> None:
        if self.batch_size is not None and self.batch_size < MIN_BATCH_SIZE:
            raise ValueError(f"a batch size is {MIN_BATCH_SIZE} or more (OpenID4VCI 1.0 12.2.4), "
                             f"not {self.batch_size}")


def bearer_token(authorization: str | None) -> str:
    """The access token of an ``Authorization: Bearer`` header (RFC 6750 2.1).

    No header, or another scheme, is a request without authentication (a plain ``Bearer``
    challenge, RFC 6750 3.1); the Bearer scheme without a token is an invalid token, and with
    something that is not a ``b64token`` (``Bearer a b``) a malformed request (400)."""
    if not authorization:
        raise BearerTokenRequired("an access token is required (Authorization: Bearer ...)")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise BearerTokenRequired("use the 'Bearer' scheme with the access token from the token endpoint")
    if not token.strip():
        raise OAuthError(401, "invalid_token", "the Bearer scheme needs the token from the token endpoint")
    if not _B64TOKEN.fullmatch(token.strip()):
        raise OAuthError(400, "invalid_request", "the Bearer token is malformed: send 'Bearer' and the token "
                         "from the token endpoint, as it was given")
    return token.strip()


class _RepeatedName(ValueError):
    pass


def _no_repeated_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose member names are unique (RFC 8259 4: otherwise its meaning depends on
    which parser reads it, and a proxy and this issuer could read two different requests)."""
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise _RepeatedName(repeated)
    return dict(pairs)


def json_object(body: bytes, error: str) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=_no_repeated_names)
    except _RepeatedName as exc:
        raise OAuthError(400, error, f"the member {printable(str(exc))!r} is given twice; give each "
                                     "member once") from None
    except (ValueError, RecursionError):  # not JSON, an integer of too many digits, nested too deep
        raise OAuthError(400, error, "the request body must be a JSON object") from None
    if not isinstance(value, dict):
        raise OAuthError(400, error, "the request body must be a JSON object")
    return value


def _requested_configurations(text: str | None) -> tuple[str, ...] | None:
    """The credential configurations a token request names in ``authorization_details``
    (OpenID4VCI 1.0 5.1.1 and 6.1, RFC 9396); None when it sends none."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, list) or not value or not all(
        isinstance(entry, dict)
        and entry.get("type") == "openid_credential"
        and isinstance(entry.get("credential_configuration_id"), str)
        for entry in value
    ):
        raise OAuthError(
            400,
            "invalid_authorization_details",
            "authorization_details must be a JSON array of objects with type 'openid_credential' "
            "and a credential_configuration_id",
        )
    return tuple(dict.fromkeys(str(entry["credential_configuration_id"]) for entry in value))


def _too_many_proofs(most: int, sent: int) -> str:
    if most == 1:
        return ("this issuer issues one credential per request (it offers no batch_credential_issuance): "
                "send one proof")
    return (f"this issuer issues at most {most} credentials per request (batch_size): send at most "
            f"{most} proofs, not {sent}")


def _already_issued(configuration: str) -> OAuthError:
    return OAuthError(400, "credential_request_denied",
                      f"the {configuration} credential of this offer was already issued")


_CLOSED_TEXT = {AWARD_WITHDRAWN: AWARD_WITHDRAWN_TEXT, ERASED: ERASED_TEXT}


def _closing(refusal: AwardWithdrawn | AwardErased) -> str:
    """The state the offers of an award the journal refuses are closed in."""
    return AWARD_WITHDRAWN if isinstance(refusal, AwardWithdrawn) else ERASED


class _ClosedAward(OAuthError):
    """The refusal of an offer whose award was taken back (``edcbridge withdraw``) or erased
    (``edcbridge erase``, stopped before it closed the offers): raised where the offer cannot be
    closed yet (inside the token's transaction), for the caller to close it in ``state``."""

    def __init__(self, award_key: str, state: str, error: str) -> None:
        super().__init__(400, error, _CLOSED_TEXT[state])
        self.award_key = award_key
        self.state = state


def _refuse_closed(state: str | None) -> None:
    """Refuse a credential of an offer closed for good since its token was given: its award
    revoked, taken back, or its learner's data erased (not "already issued", which it was not)."""
    if state == REVOKED:
        raise OAuthError(400, "credential_request_denied",
                         "the issuer revoked this award; no credential is issued for it")
    if state in _CLOSED_TEXT:
        raise OAuthError(400, "credential_request_denied", _CLOSED_TEXT[state])


def _check_requested(requested: tuple[str, ...] | None, offered: tuple[str, ...]) -> None:
    """Checked before the code is spent: a wallet asking for more than the offer keeps it."""
    others = [configuration for configuration in requested or () if configuration not in offered]
    if others:
        raise OAuthError(
            400,
            "invalid_authorization_details",
            f"authorization_details asks for {', '.join(map(repr, others))}, which this offer "
            f"does not hold (it offers {', '.join(map(repr, offered))})",
        )


class IssuerService:
    def __init__(
        self, settings: IssuerSettings, seal: SealKey, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.issuer = settings.issuer_url
        self.clock = clock
        self.awards = AwardSource(settings.out_dir)
        self.signer = SdJwtIssuer(seal, settings.issuer_url, settings.signing_algorithm)
        self.identity = certificate_identity(seal.certificate)
        self.chain = (seal.certificate, *seal.intermediates)  # the x5c of the SD-JWT VCs
        self.offers = OfferStore.for_folder(
            settings.out_dir, tx_code_attempts=settings.tx_code_attempts, clock=clock
        )
        self.offers.issuer_url = settings.issuer_url  # status entries keep the uri their credentials carry
        self.proof_policy = ProofPolicy(settings.issuer_url, max_age=settings.proof_max_age)

    def close(self) -> None:
        self.offers.close()

    # -- metadata and offers --------------------------------------------------------------

    def issuer_metadata(self) -> dict[str, Any]:
        return issuer_metadata(self.issuer, self.signer.algorithm, self.settings.display_name,
                               self.settings.batch_size)

    def oauth_metadata(self) -> dict[str, Any]:
        return oauth_metadata(self.issuer)

    def type_metadata(self) -> dict[str, Any]:
        return type_metadata()

    def offer_by_reference(self, reference: str) -> dict[str, Any]:
        view = self.offers.by_reference(reference)
        if view is None:
            raise OAuthError(
                404, "invalid_request", "no open offer at this address (used, expired or unknown)"
            )
        return offer_object(
            self.issuer, view.configuration_ids, view.pre_authorized_code, view.tx_code_length
        )

    # -- token and nonce ------------------------------------------------------------------

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        # RFC 6749 3.1: a parameter sent without a value is treated as if it were omitted
        form = {name: value for name, value in form.items() if value != ""}
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is missing")
        if grant_type != PRE_AUTHORIZED_GRANT:
            raise OAuthError(400, "unsupported_grant_type", f"only {PRE_AUTHORIZED_GRANT} is supported")
        code = form.get("pre-authorized_code")
        if not code:
            raise OAuthError(400, "invalid_request", "pre-authorized_code is missing")
        tx_code = form.get("tx_code")
        requested = _requested_configurations(form.get("authorization_details"))

        def check(award_key: str, offered: tuple[str, ...]) -> None:
            _check_requested(requested, offered)
            self._issuable(award_key, requested or offered)

        try:
            grant = self.offers.redeem(
                code,
                tx_code,
                token_ttl=self.settings.token_ttl,
                client_id=form.get("client_id") or None,
                check=check,
                granted=requested,  # the token obtains what its answer's authorization_details name
            )
        except _ClosedAward as refusal:
            self._close(refusal.award_key, refusal.state)
            raise
        LOG.info("offer %s: access token issued", grant.offer_id)
        answer: dict[str, Any] = {
            "access_token": grant.access_token, "token_type": "Bearer", "expires_in": grant.expires_in
        }
        if requested is not None:  # 6.2: REQUIRED when the request had them; one dataset per configuration
            answer["authorization_details"] = [
                {"type": "openid_credential", "credential_configuration_id": configuration,
                 "credential_identifiers": [configuration]}
                for configuration in requested
            ]
        return answer

    def _issuable(self, award_key: str, configurations: tuple[str, ...]) -> None:
        """Refuse the token, keeping the offer open, while the issuer cannot issue what it
        offers (award no longer exported, files changed, the seal of another organisation): once
        the operator fixes it, the learner's offer works."""
        try:
            award = self.awards.get(award_key)
            self._refuse_expired(award, award_key, "invalid_grant")
            for configuration in configurations:
                if configuration == ELM_CONFIGURATION:
                    self._check_issuer(award.document("edc"))
                    self._check_seal()
                else:
                    award.read("edc-sealed")
        except (AwardWithdrawn, AwardErased) as exc:
            LOG.error("cannot issue %s: %s", award_key, exc)
            raise _ClosedAward(award_key, _closing(exc), "invalid_grant") from None
        except Oid4vciError as exc:
            LOG.error("cannot issue %s, its offer stays open: %s", award_key, exc)
            raise OAuthError(
                500,
                "server_error",
                "the issuer cannot issue this offer's credentials now; the offer stays valid: "
                "contact the issuer, then use it again",
            ) from None

    def _refuse_expired(self, award: ExportedAward, award_key: str, error: str) -> None:
        """Refuse (``error``) an award whose credential has passed its end date: a wallet given
        it would hold a credential every verifier refuses. Checked at the token endpoint and
        again at the credential endpoint, as the date may pass while the access token lives."""
        ended = award.expired_on(self.clock())
        if ended is not None:
            LOG.error("cannot issue %s: its credential expired on %s", award_key, ended)
            raise OAuthError(400, error, f"the credential expired on {ended}: ask the issuer for a new one")

    def _close(self, award_key: str, state: str) -> None:
        """Close the offers of an award taken back (not to be used again, even once the award
        is reinstated: a new offer is made then), or erased (as ``edcbridge erase`` does, had it
        not stopped before: what wallets told of it is overwritten too); the offers closed go to
        the audit trail, as the command would have recorded them."""
        by = f"{actor()} (edcbridge serve)"
        if state == AWARD_WITHDRAWN:
            closed = self.offers.close_withdrawn(award_key, by=by)
        else:
            closed = self.offers.erase_award(award_key, by=by)
        head = record_closing(self.settings.out_dir, self.offers, closed.event) if closed.event else None
        LOG.info("%s was %s: %d offer(s) of it closed%s", award_key,
                 "withdrawn" if state == AWARD_WITHDRAWN else "erased", len(closed.offers),
                 f" (audit event {head.split(':')[0]})" if head else "")

    def nonce(self) -> dict[str, Any]:
        return {"c_nonce": self.offers.new_nonce(self.settings.nonce_ttl)}

    # -- credential -----------------------------------------------------------------------

    def access_token(self, authorization: str | None) -> TokenInfo:
        """The offer the request's access token was issued for: 401 when it sends none
        (plain ``Bearer`` challenge) or one that is unknown or expired (``invalid_token``). The
        app asks before it reads a body, so that no unauthenticated client gets one read."""
        return self.offers.token(bearer_token(authorization))

    def credential(self, authorization: str | None, body: bytes) -> dict[str, Any]:
        token = self.offers.token(bearer_token(authorization))
        request = json_object(body, "invalid_credential_request")
        configuration = self._configuration(request, token.configuration_ids, token.identifiers)
        if "credential_response_encryption" in request:
            raise OAuthError(
                400,
                "invalid_encryption_parameters",
                "this issuer does not encrypt credential "
                "responses; send the request without credential_response_encryption",
            )
        _refuse_closed(token.state)
        if token.state != "redeemed" or self.offers.was_issued(token.offer_id, configuration):
            raise _already_issued(configuration)
        try:
            award = self.awards.get(token.award_key)
            self._refuse_expired(award, token.award_key, "credential_request_denied")
            if configuration == ELM_CONFIGURATION:
                credentials = self._issue_elm(award, token, request)
            else:
                if "proofs" in request or "proof" in request:
                    raise OAuthError(
                        400, "invalid_proof", f"{SEALED_CONFIGURATION} is not key-bound: send no proofs"
                    )
                credentials = [award.document("edc-sealed")]
        except (AwardWithdrawn, AwardErased) as exc:
            LOG.error("offer %s: cannot issue %s: %s", token.offer_id, token.award_key, exc)
            self._close(token.award_key, _closing(exc))
            raise OAuthError(400, "credential_request_denied", _CLOSED_TEXT[_closing(exc)]) from None
        except Oid4vciError as exc:
            LOG.error("offer %s: cannot issue %s: %s", token.offer_id, token.award_key, exc)
            raise OAuthError(
                400,
                "credential_request_denied",
                "the issuer cannot issue this credential now; contact the issuer",
            ) from None
        notification_id = new_secret()
        if not self.offers.mark_issued(token.offer_id, configuration, notification_id):
            _refuse_closed(self.offers.offer_state(token.offer_id))  # revoked or erased while it was signed
            raise _already_issued(configuration)
        copies = f" ({len(credentials)} copies)" if len(credentials) > 1 else ""
        LOG.info("offer %s: %s issued for %s%s", token.offer_id, configuration, token.award_key, copies)
        return {"credentials": [{"credential": credential} for credential in credentials],
                "notification_id": notification_id}

    def _issue_elm(self, award: ExportedAward, token: TokenInfo, request: dict[str, Any]) -> list[Any]:
        """One SD-JWT VC of the award per key proof (a batch, OpenID4VCI 1.0 8.2: the same
        dataset, each bound to its proof's key, with salts and a status list entry of its own)."""
        holders, nonces = self._holder_keys(request, token.client_id)
        elm = award.document("edc")
        self._check_issuer(elm)
        self._check_seal()
        self._spend_nonces(nonces)  # only now: a refusal above leaves the wallet its c_nonce
        entries = self.offers.reserve_statuses(token.award_key, token.offer_id, len(holders))
        now = int(self.clock())
        statuses = [(status_list.list_uri(self.issuer, number), index) for number, index in entries]
        return [self.signer.issue(elm, holder, now=now, status=status)
                for holder, status in zip(holders, statuses, strict=True)]

    def status_list_token(self, number: str) -> str:
        """The Status List Token of list ``number`` (404 when no credential uses it, or when
        ``number`` is not the list's own spelling, which its ``sub`` would not repeat)."""
        listed = status_list.list_number(number)
        invalid = None if listed is None else self.offers.invalid_entries(listed)
        if listed is None or invalid is None:
            raise OAuthError(404, "invalid_request", "no status list at this address")
        try:
            self._check_seal()
        except Oid4vciError as exc:
            LOG.error("cannot sign status list %s: %s", listed, exc)
            raise OAuthError(500, "server_error", "the issuer cannot sign its status list now; "
                             "contact the issuer") from None
        ends = int(min(certificate.not_valid_after_utc for certificate in self.chain).timestamp())
        return self.signer.status_list_token(status_list.list_uri(self.issuer, listed),
                                             status_list.pack(invalid), now=int(self.clock()), ends=ends)

    def _check_issuer(self, elm: dict[str, Any]) -> None:
        """The issuer signs only its own credentials: an export folder may hold other
        organisations' awards, which their own seals must sign."""
        problem = issuer_mismatch(lambda: self.identity, elm)
        if problem is not None:
            raise Oid4vciError(f"the seal is not the credential issuer's: {problem}; serve this "
                               "award with its issuer's seal")

    def _check_seal(self) -> None:
        """``serve`` checks the seal when it starts, but runs on: a certificate of the x5c chain
        that ended since would make every verifier refuse the SD-JWT VC, and its offer be used up."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        for certificate in self.chain:
            if now > certificate.not_valid_after_utc:
                name = certificate.subject.rfc4514_string()
                raise Oid4vciError(f"the seal certificate '{name}' {validity_problem(certificate, now)}: "
                                   "serve with a renewed seal")

    def _configuration(
        self, request: dict[str, Any], offered: tuple[str, ...], identifiers: bool | None
    ) -> str:
        """The configuration a credential request names. OpenID4VCI 1.0 8.2: after a token
        response with ``credential_identifiers`` (``identifiers``), by ``credential_identifier``
        alone; otherwise by ``credential_configuration_id`` alone. (None: a token from before
        this was recorded, which may use either.)"""
        if "credential_identifier" in request and "credential_configuration_id" in request:
            raise OAuthError(
                400,
                "invalid_credential_request",
                "send credential_identifier or credential_configuration_id, not both",
            )
        if identifiers and "credential_identifier" not in request:
            raise OAuthError(
                400,
                "invalid_credential_request",
                "the token response returned credential_identifiers: send credential_identifier "
                "(one of them), not credential_configuration_id",
            )
        if identifiers is False and "credential_identifier" in request:
            raise OAuthError(
                400,
                "invalid_credential_request",
                "the token response returned no credential_identifiers: send credential_configuration_id, "
                "not credential_identifier",
            )
        if "credential_identifier" in request:
            identifier = request["credential_identifier"]
            if isinstance(identifier, str) and identifier in offered:  # as the token response named it
                return identifier
            raise OAuthError(
                400,
                "unknown_credential_identifier",
                "unknown credential_identifier; use one from the token response's authorization_details",
            )
        if "format" in request and "credential_configuration_id" not in request:
            raise OAuthError(
                400,
                "invalid_credential_request",
                "requests by 'format' are OpenID4VCI drafts; "
                "this issuer speaks 1.0: send credential_configuration_id",
            )
        configuration = request.get("credential_configuration_id")
        if not isinstance(configuration, str):
            raise OAuthError(400, "invalid_credential_request", "credential_configuration_id is missing")
        if configuration not in CONFIGURATIONS:
            raise OAuthError(
                400,
                "unknown_credential_configuration",
                f"unknown credential configuration {configuration!r}; see the issuer metadata",
            )
        if configuration not in offered:  # 8.3.1.1: the token does not enable it (RFC 6750 3.1)
            raise OAuthError(
                403,
                "insufficient_scope",
                f"this access token does not cover {configuration!r}; it covers "
                f"{', '.join(map(repr, offered))}: ask the issuer for an offer of {configuration!r}",
            )
        return configuration

    def _holder_keys(
        self, request: dict[str, Any], client_id: str | None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The holder's public JWK of each key proof, and the proofs' nonces, which are checked
        (spent) later."""
        proofs = self._proof_jwts(request)
        holders: list[dict[str, Any]] = []
        nonces: list[str] = []
        for number, jwt in enumerate(proofs):
            where = f"proofs.jwt[{number}]: " if len(proofs) > 1 else ""
            try:
                proof = verify_proof(jwt, self.proof_policy, now=self.clock(), client_id=client_id)
            except OAuthError as exc:
                if not where:
                    raise
                raise OAuthError(exc.status, exc.error, f"{where}{exc.text}") from None
            if proof.nonce is None:
                raise OAuthError(400, "invalid_proof",
                                 f"{where}the proof has no 'nonce': get a c_nonce from the nonce endpoint")
            if proof.holder_jwk in holders:  # 8.3: each key is bound to one credential at most
                raise OAuthError(400, "invalid_proof", f"{where}the same key as proofs.jwt"
                                 f"[{holders.index(proof.holder_jwk)}]: each copy needs a key of its own")
            holders.append(proof.holder_jwk)
            nonces.append(proof.nonce)
        return holders, nonces

    def _proof_jwts(self, request: dict[str, Any]) -> list[Any]:
        """The request's ``proofs.jwt``: a non-empty array of at most ``batch_size`` proofs (one
        when the issuer offers no batch)."""
        if "proof" in request:
            raise OAuthError(
                400,
                "invalid_credential_request",
                "'proof' is from the drafts; OpenID4VCI 1.0 sends 'proofs': {\"jwt\": [...]}",
            )
        proofs = request.get("proofs")
        if not isinstance(proofs, dict) or not proofs:
            raise OAuthError(
                400, "invalid_proof", "a key proof is required: 'proofs': {\"jwt\": [<proof JWT>]}"
            )
        if set(proofs) != {"jwt"}:
            raise OAuthError(
                400,
                "invalid_proof",
                f"proof types {sorted(set(proofs) - {'jwt'})} are not supported; use jwt",
            )
        jwts = proofs["jwt"]
        if not isinstance(jwts, list) or not jwts:
            raise OAuthError(400, "invalid_proof", "'proofs.jwt' must be a non-empty array of JWTs")
        most = self.settings.batch_size or 1
        if len(jwts) > most:
            # 8.3.1.2: invalid_proof is a proof missing, not valid or without a nonce; more proofs
            # than the issuer takes is a parameter value it does not support
            raise OAuthError(400, "invalid_credential_request", _too_many_proofs(most, len(jwts)))
        return jwts

    def _spend_nonces(self, nonces: list[str]) -> None:
        if not self.offers.consume_nonces(nonces):
            raise OAuthError(
                400,
                "invalid_nonce",
                "a proof's nonce is unknown, used or expired: get a new c_nonce from the nonce endpoint",
            )

    # -- notification ---------------------------------------------------------------------

    def notification(self, authorization: str | None, body: bytes) -> None:
        token = self.offers.token(bearer_token(authorization))
        request = json_object(body, "invalid_notification_request")
        notification_id, event = request.get("notification_id"), request.get("event")
        if not isinstance(notification_id, str) or event not in NOTIFICATION_EVENTS:
            raise OAuthError(
                400,
                "invalid_notification_request",
                f"send notification_id and event (one of {', '.join(NOTIFICATION_EVENTS)})",
            )
        description = request.get("event_description")
        if not self.offers.notify(  # a description is stored printable: SQLite takes no lone surrogate
            token.offer_id, notification_id, str(event),
            printable(description) if isinstance(description, str) else None,
        ):
            raise OAuthError(400, "invalid_notification_id", "unknown notification_id for this access token")
        LOG.info("offer %s: wallet reports %s", token.offer_id, event)
