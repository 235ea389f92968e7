"""The issuer as an ASGI application (Starlette), to be run by an ASGI server (uvicorn).

Routes, under the issuer URL's path (and at the root, for a proxy that strips the path); the
two metadata documents also at ``/.well-known/<name><path>``:

======  ==========================================  ==================================
GET     /.well-known/openid-credential-issuer       credential issuer metadata
GET     /.well-known/oauth-authorization-server     authorization server metadata
GET     /type-metadata/elm                          SD-JWT VC type metadata (urn:eudi:elm:1)
GET     /offers/{reference}                         a credential offer by reference
POST    /token                                      pre-authorized code -> access token
POST    /nonce                                      a fresh c_nonce
POST    /credential                                 the credential
POST    /notification                               the wallet's notification
GET     /status/{number}                            a Token Status List (revocation)
======  ==========================================  ==================================

A credential or notification request sent as another type than ``application/json`` is refused
(400 ``invalid_credential_request`` or ``invalid_notification_request``, OpenID4VCI 1.0 8.2, 11.1).
Errors are JSON ``{"error", "error_description"}`` with 400, 401, 403, 404, 405 (with ``Allow``), 406 or
501 (a status list in another form, or of the past), 408 (a body too slow) or 413 (too large; both
close the connection, the rest of the body unread), 415 (a body with a content coding, with
``Accept-Encoding: identity``), or 500, never 200, and never cached
(``Cache-Control: no-store``, ``Pragma: no-cache``);
a token request for an offer the issuer cannot issue now is a 500 ``server_error`` that leaves
the offer open. A 401 carries the ``WWW-Authenticate`` challenge of RFC 6750 3: plain ``Bearer``
(and no ``error`` in the body) when the request sent no Bearer token, ``Bearer
error="invalid_token"`` when its token is unknown or expired (a token that is not a ``b64token``,
``Bearer a b``, is a malformed request: 400 ``invalid_request``); a credential request for a
configuration its token does not cover is 403 ``Bearer error="insufficient_scope"`` (OpenID4VCI
1.0 8.3.1.1). The credential and notification
endpoints check the token before they read any of the body (a declared ``Content-Length`` over
the limit is refused 413 first, also without reading): the app reads no body of an
unauthenticated client, and the server drops what came with the head and reads at most 64 KiB
more (:mod:`edcbridge.oid4vci.server`).

Browser (web) wallets may call every route from any origin (CORS, ``Access-Control-Allow-Origin:
*``, preflights answered): the issuer uses no cookies or other ambient credentials, so a page
can do only what it could do without a browser, with the codes and tokens it already holds.
Preflights may ask for ``Authorization``, ``Content-Type``, ``DPoP`` and a wallet attestation's
``OAuth-Client-Attestation`` and ``OAuth-Client-Attestation-PoP``; ``WWW-Authenticate`` is
exposed to the page. A preflight asking for another method or header is refused like any error
(400 ``invalid_request``, JSON, ``no-store``).

Every answer carries ``X-Content-Type-Options: nosniff`` (a browser takes JSON as JSON, never
as a page or script). A path with an extra or missing final ``/`` is not found rather than
redirected: a redirect would be built from the request's ``Host`` header, which the client
chooses; the issuer's own URL comes from its settings only, never from ``Host`` or
``X-Forwarded-*``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edcbridge.oid4vci import status_list
from edcbridge.oid4vci.errors import OAuthError, UnsupportedContentCoding, hide_offer_reference
from edcbridge.oid4vci.service import LOG_FIELD, IssuerService, bearer_token, clip
from edcbridge.output import printable

LOG = logging.getLogger("edcbridge.oid4vci")
# RFC 6749 5.1: answers with tokens (and, here, nonces, offers and errors) carry both
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_BODY = 64 * 1024  # a credential request with one proof is about 1 KiB
# Seconds a client has to send the whole body once the app reads it (64 KiB at 3.2 KiB/s); a
# head must come within edcbridge.oid4vci.server.HEAD_TIMEOUT
BODY_TIMEOUT = 20
# CORS for browser wallets: any origin, never with credentials (the issuer uses no cookies).
# The headers a wallet may send: EUDI (HAIP) wallets add their attestation to the token request
# (OAuth 2.0 Attestation-Based Client Authentication), which this issuer does not ask for and
# ignores, but a preflight refusing them would stop the request.
WALLET_HEADERS = ["Authorization", "Content-Type", "DPoP", "OAuth-Client-Attestation",
                  "OAuth-Client-Attestation-PoP"]
ALLOWED_METHODS = ["GET", "POST"]


def _asked_headers_as_one_list(request_headers: Headers) -> Headers:
    """The request's ``Access-Control-Request-Headers`` as one list without empty elements: a
    list may come in several fields and with empty elements, which a recipient ignores (RFC 9110
    5.3, 5.6.1); Starlette reads the first field only and refuses an empty element."""
    name = b"access-control-request-headers"
    asked = [item.strip() for field in request_headers.getlist(name.decode()) for item in field.split(",")]
    others = [(key, value) for key, value in request_headers.raw if key != name]
    listed = ", ".join(item for item in asked if item)
    return Headers(raw=[*others, (name, listed.encode("latin-1"))] if listed else others)


class WalletCORS(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered like every other error of the issuer:
    JSON ``invalid_request`` saying what the issuer allows, never cached (Starlette's is text)."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(_asked_headers_as_one_list(request_headers))
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode("utf-8", "replace").removeprefix("Disallowed CORS ")
        description = (f"the preflight asks for what this issuer does not allow ({refused}); it allows the "
                       f"methods {', '.join(ALLOWED_METHODS)} and the headers {', '.join(WALLET_HEADERS)}")
        kept = {name: value for name, value in response.headers.items()
                if name not in ("content-length", "content-type")}
        return JSONResponse({"error": "invalid_request", "error_description": description},
                            status_code=response.status_code, headers={**kept, **NO_STORE})


CORS = Middleware(
    WalletCORS,
    allow_origins=["*"],
    allow_methods=ALLOWED_METHODS,
    allow_headers=WALLET_HEADERS,
    expose_headers=["WWW-Authenticate"],
    max_age=600,
)

Handler = Callable[[Request], Awaitable[Response]]


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every answer, the server's own errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_with_header if scope["type"] == "http" else send)


def refuse_declared_size(request: Request, limit: int = MAX_BODY) -> None:
    """413 for a body whose ``Content-Length`` is over ``limit`` bytes: none of it is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OAuthError(413, "invalid_request", f"the request body exceeds {limit} bytes")


def refuse_content_coding(request: Request) -> None:
    """415 for a body with a content coding other than ``identity``: read as sent, a compressed
    body would be taken for a malformed one, and one marked but not compressed for a good one."""
    sent = request.headers.get("content-encoding", "")
    codings = [coding.strip().lower() for coding in sent.split(",") if coding.strip()]
    if any(coding != "identity" for coding in codings):
        raise UnsupportedContentCoding(clip(sent))


async def read_body(request: Request, limit: int = MAX_BODY, timeout: float = BODY_TIMEOUT) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes and with 408 when it has not
    all come within ``timeout`` seconds (read no further: a body without end, or sent a byte
    at a time, would hold the connection for ever). Both answers close the connection, the rest
    of the body unread. A body with a content coding is refused (415) unread."""
    refuse_content_coding(request)
    refuse_declared_size(request, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise OAuthError(413, "invalid_request", f"the request body exceeds {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise OAuthError(408, "invalid_request", f"the body did not come within {timeout:g} s") from None
    except ClientDisconnect:  # nobody to answer: a line in the log, not a 500 with a traceback
        raise OAuthError(400, "invalid_request", "the connection closed before the body ended") from None
    return b"".join(chunks)


def media_type(request: Request) -> str:
    """The request's ``Content-Type`` without its parameters (``charset``), in lower case."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def refuse_other_than_json(request: Request, error: str) -> None:
    """OpenID4VCI 1.0 8.2 and 11.1: credential and notification requests are ``application/json``
    (``application/jwt`` only when encrypted, which this issuer does not announce): a body sent
    as another type is refused, whatever it holds."""
    if media_type(request) != JSON:
        sent = media_type(request) or "no Content-Type"
        raise OAuthError(400, error, f"send the request as {JSON} (it came as {sent})")


def form_fields(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; a repeated field is a malformed request."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, "invalid_request", "the token request body is not form-encoded") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise OAuthError(400, "invalid_request", f"the parameter {name!r} is repeated")
        fields[name] = value
    return fields


def _logged_path(request: Request) -> str:
    """The request's path for a log line: printable, without an offer reference, cut when long."""
    return clip(hide_offer_reference(printable(request.url.path)))


def _error(exc: OAuthError, request: Request) -> JSONResponse:
    error = exc.error or "(no access token)"  # the description is printable already
    LOG.warning("%s %s -> %d %s: %s", clip(request.method), _logged_path(request), exc.status, error,
                clip(exc.description, 2 * LOG_FIELD))
    # 408 and 413 leave the rest of the body unread: the connection closes (RFC 9110 15.5.9, 15.5.14)
    closing = {"Connection": "close"} if exc.status in (408, 413) else {}
    return JSONResponse(exc.body(), status_code=exc.status, headers={**NO_STORE, **exc.headers(), **closing})


def _guarded(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except OAuthError as exc:
            return _error(exc, request)
        except HTTPException:
            raise
        except Exception:  # answered here, inside the CORS layer: a browser wallet can read the 500
            LOG.exception("%s %s -> 500", clip(request.method), _logged_path(request))
            return JSONResponse({"error": "server_error",
                                 "error_description": "internal error; see the issuer's log"},
                                status_code=500, headers=NO_STORE)

    return wrapped


def create_app(service: IssuerService) -> Starlette:
    async def issuer_metadata(request: Request) -> Response:
        return JSONResponse(service.issuer_metadata())

    async def oauth_metadata(request: Request) -> Response:
        return JSONResponse(service.oauth_metadata())

    async def vct_metadata(request: Request) -> Response:
        return JSONResponse(service.type_metadata())

    async def offer(request: Request) -> Response:
        body = await run_in_threadpool(service.offer_by_reference, request.path_params["reference"])
        return JSONResponse(body, headers=NO_STORE)

    async def token(request: Request) -> Response:
        if media_type(request) != FORM:
            raise OAuthError(400, "invalid_request", f"the token request must be {FORM}")
        fields = form_fields(await read_body(request))
        body = await run_in_threadpool(service.token, fields)
        return JSONResponse(body, headers=NO_STORE)

    async def nonce(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(service.nonce), headers=NO_STORE)

    async def authorized_body(request: Request) -> bytes:
        """The body of a request that needs an access token, read only once the request has
        passed the refusals that read none of it, cheapest first: no Bearer token (401), a
        declared body over the limit (413), an unknown or expired token (401 ``invalid_token``,
        one database look-up). No byte of an unauthenticated client's body is read here."""
        authorization = request.headers.get("authorization")
        bearer_token(authorization)
        refuse_declared_size(request)
        await run_in_threadpool(service.access_token, authorization)
        return await read_body(request)

    async def credential(request: Request) -> Response:
        body = await authorized_body(request)
        refuse_other_than_json(request, "invalid_credential_request")
        answer: dict[str, Any] = await run_in_threadpool(
            service.credential, request.headers.get("authorization"), body
        )
        return JSONResponse(answer, headers=NO_STORE)

    async def notification(request: Request) -> Response:
        body = await authorized_body(request)
        refuse_other_than_json(request, "invalid_notification_request")
        await run_in_threadpool(service.notification, request.headers.get("authorization"), body)
        return Response(status_code=204)

    async def status(request: Request) -> Response:
        if "time" in request.query_params:  # draft-ietf-oauth-status-list 8.4: not supported, 501
            raise OAuthError(501, "invalid_request", "this issuer serves the current status list only; "
                             "it keeps no history to answer 'time'")
        if not status_list.accepts_token(request.headers.get("accept")):  # RFC 9110 15.5.7
            raise OAuthError(406, "invalid_request",
                             f"this status list is served as {status_list.MEDIA_TYPE} only")
        token = await run_in_threadpool(service.status_list_token, request.path_params["number"])
        return Response(token, media_type=status_list.MEDIA_TYPE,
                        headers={"Cache-Control": f"max-age={status_list.TTL}", "Vary": "Accept"})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        error = "invalid_request" if status < 500 else "server_error"
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error; see the issuer's log"
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}  # 405: Allow (RFC 9110)
        return JSONResponse({"error": error, "error_description": str(detail)}, status_code=status,
                            headers={**NO_STORE, **headers})

    metadata = [
        Route("/.well-known/openid-credential-issuer", _guarded(issuer_metadata), methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", _guarded(oauth_metadata), methods=["GET"]),
    ]
    api = [
        *metadata,
        Route("/type-metadata/elm", _guarded(vct_metadata), methods=["GET"]),
        Route("/offers/{reference}", _guarded(offer), methods=["GET"]),
        Route("/token", _guarded(token), methods=["POST"]),
        Route("/nonce", _guarded(nonce), methods=["POST"]),
        Route("/credential", _guarded(credential), methods=["POST"]),
        Route("/notification", _guarded(notification), methods=["POST"]),
        Route("/status/{number}", _guarded(status), methods=["GET"]),
    ]
    routes: list[BaseRoute] = list(api)  # as the issuer's root, or behind a proxy that strips its path
    prefix = urlsplit(service.issuer).path.rstrip("/")
    if prefix:  # the issuer's own path; metadata also where OpenID4VCI 12.2.2 and RFC 8414 put it
        routes.append(Mount(prefix, app=Router(api, redirect_slashes=False)))
        routes += [Route(f"{route.path}{prefix}", route.endpoint, methods=["GET"]) for route in metadata]
    app = Starlette(routes=routes, middleware=[Middleware(NoSniff), CORS],
                    exception_handlers={HTTPException: http_error, Exception: http_error})
    app.router.redirect_slashes = False  # a redirect would name the client's Host (see above)
    return app
