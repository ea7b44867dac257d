"""Who is calling the management API: ONE function, :func:`resolve_actor`, turns a request into an Actor.

Accepted, in this order (docs/contracts.md, "Management API"):

1. ``Authorization: Bearer <personal access token>`` (seed 001), or a JWT access token issued
   to a *user* (``sub_kind: user``) — :class:`~tokensmith.services.authentication.BearerAuthenticator`
   does the work; the token's scopes are the ceiling and the membership's role still decides.
   A DPoP-bound token comes as ``Authorization: DPoP <token>`` with a ``DPoP`` proof (RFC 9449 §7).
2. The dashboard session cookie (+ ``X-CSRF-Token`` on unsafe methods) — see
   :func:`_session_actor`.

``GET /api/me`` alone resolves its caller with :func:`resolve_caller`, which also describes a
client's access token (a :class:`~tokensmith.services.authentication.ClientCaller`, never an
Actor); every other route keeps refusing it.

A request that presents an ``Authorization`` header is judged by that header alone: a bad
bearer token never falls back to the cookie. A token in the URL (``?access_token=…``, RFC 6750
§2.3) is refused outright with 400 ``invalid_request`` (RFC 9700 §4.3.2: URLs end up in logs,
histories and ``Referer`` headers), whether or not a header was sent too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tokensmith.core.actors import Actor, Transport
from tokensmith.core.errors import BadRequest, Forbidden, Unauthenticated
from tokensmith.services.authentication import ClientCaller
from tokensmith.services.container import Services
from tokensmith.services.dpop import DPoPRequest
from tokensmith.web.blocking import call_blocking
from tokensmith.web.client_ip import client_ip
from tokensmith.web.csrf import CSRF_HEADER, SAFE_METHODS
from tokensmith.web.dpop_request import dpop_request
from tokensmith.web.session_cookies import session_cookie_name

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A personal access token (`tsp_…`), or a user access token carrying the management scope "
    "the operation needs.",
)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    """FastAPI dependency (async: no I/O, so no threadpool hop)."""
    return services_of(request)


def resolve_actor(request: Request) -> Actor:
    """The Actor a management request acts as, or :class:`Unauthenticated` (401).

    Blocking (it reads the database): called through
    :func:`~tokensmith.web.blocking.call_blocking`. Dashboard sessions are resolved in
    :func:`_session_actor`; keep this function's order of checks.
    """
    services, ip, token = _presented(request)
    if token is not None:
        return services.bearer.authenticate(
            token, transport=Transport.API, ip=ip, dpop=_dpop_presented(request, services)
        )
    return _session_or_refuse(request, services, ip)


def resolve_caller(request: Request) -> Actor | ClientCaller:
    """:func:`resolve_actor`, except that a client's live access token is described, not refused
    (``GET /api/me`` only: a :class:`ClientCaller` authorises nothing)."""
    services, ip, token = _presented(request)
    if token is not None:
        return services.bearer.identify(
            token, transport=Transport.API, ip=ip, dpop=_dpop_presented(request, services)
        )
    return _session_or_refuse(request, services, ip)


def _dpop_presented(request: Request, services: Services) -> DPoPRequest | None:
    """The request's DPoP proof when its token came as ``Authorization: DPoP`` (RFC 9449 §7.1)."""
    scheme = request.headers.get("authorization", "").strip().partition(" ")[0]
    return dpop_request(request, services.issuer) if scheme.lower() == "dpop" else None


def _presented(request: Request) -> tuple[Services, str | None, str | None]:
    """The services, the caller's address and the bearer token of the ``Authorization`` header
    (``None`` without one); a malformed header or a token in the URL is refused here."""
    services = services_of(request)
    reject_token_in_url(request)
    ip = client_ip(request, services.settings.trust_forwarded_for, services.settings.forwarded_hops)
    header = request.headers.get("authorization")
    if header is None:
        return services, ip, None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() not in ("bearer", "dpop") or not value.strip():
        raise Unauthenticated("use Authorization: Bearer <personal token or access token>")
    return services, ip, value.strip()


def _session_or_refuse(request: Request, services: Services, ip: str | None) -> Actor:
    actor = _session_actor(request, services, ip)
    if actor is not None:
        return actor
    raise Unauthenticated("authentication required: send Authorization: Bearer <personal access token>")


#: RFC 6750 §2.3's URI query parameter: never accepted.
TOKEN_QUERY_PARAMETER = "access_token"


def reject_token_in_url(request: Request) -> None:
    """400 ``invalid_request`` when the URL carries ``access_token`` (RFC 6750 §2.3, RFC 9700 §4.3.2)."""
    if TOKEN_QUERY_PARAMETER in request.query_params:
        raise BadRequest(
            "send the token in the Authorization header, never in the URL", code="invalid_request"
        )


def org_of(actor: Actor) -> str:
    """The organisation ``actor`` acts in; an explicit 403 (never an ``assert``) when there is none."""
    if actor.org_id is None:
        raise Forbidden("the caller acts in no organisation")
    return actor.org_id


def _session_actor(request: Request, services: Services, ip: str | None) -> Actor | None:
    """The dashboard session's Actor, or ``None`` when the request has no live session (→ 401).

    The Actor is ``AuthMethod.SESSION`` with no scope ceiling, the session's selected
    organisation and the member's current role. Unsafe methods (POST, PATCH, PUT, DELETE) also
    need a matching ``X-CSRF-Token`` header: a valid cookie without it is
    ``Forbidden(code="csrf_failed")``.
    """
    cookie = request.cookies.get(session_cookie_name(services.settings))
    if not cookie:
        return None
    session = services.sessions.resolve(cookie, ip=ip)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            "a dashboard session needs its X-CSRF-Token header on this request", code="csrf_failed"
        )
    return session.actor(Transport.API)


async def current_actor(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Actor:
    """FastAPI dependency: declares the bearer scheme in the OpenAPI document, then defers to
    :func:`resolve_actor` (inline on SQLite, in a worker thread otherwise)."""
    return await call_blocking(services_of(request).database, resolve_actor, request)


async def current_caller(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Actor | ClientCaller:
    """:func:`current_actor` for ``GET /api/me``: a client's access token is described too."""
    return await call_blocking(services_of(request).database, resolve_caller, request)


ActorDep = Annotated[Actor, Depends(current_actor)]
CallerDep = Annotated[Actor | ClientCaller, Depends(current_caller)]
ServicesDep = Annotated[Services, Depends(get_services)]
