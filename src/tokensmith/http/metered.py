"""Metrics around the OAuth endpoints: what each token and introspection request came to.

:func:`metered_token` and :func:`metered_introspection` wrap an endpoint *inside* the error
renderer of :mod:`tokensmith.http.oauth_routes` (``_oauth``), so they see the exception an
endpoint raised — its RFC 6749 §5.2 error code, and for ``invalid_client`` the private detail
saying why — before it becomes a response. The endpoint notes what only it knows (the grant
type it parsed, the format of the token it issued, whether an introspected token was active)
in the ASGI scope through :func:`note_grant`, :func:`note_format` and :func:`note_active`.

With metrics switched off the endpoints are not wrapped at all: the hot path pays nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from tokensmith.core.errors import (
    InvalidClient,
    InvalidSubjectToken,
    OAuthError,
    SlowDown,
    StorageUnavailable,
)
from tokensmith.metrics import AUTH_FAILURE_REASONS, Metrics

Endpoint = Callable[[Request], Awaitable[Response]]

_GRANT = "tokensmith.grant"
_FORMAT = "tokensmith.format"
_ACTIVE = "tokensmith.active"


def note_grant(request: Request, grant_type: object) -> None:
    """The grant type the endpoint parsed (a label of the token counter; bounded there)."""
    request.scope[_GRANT] = grant_type if isinstance(grant_type, str) and grant_type else "none"


def note_format(request: Request, token_format: str) -> None:
    request.scope[_FORMAT] = token_format


def note_active(request: Request, active: bool) -> None:
    request.scope[_ACTIVE] = active


def _failure(metrics: Metrics, exc: OAuthError) -> None:
    """Count an authentication failure or a rate-limit refusal that ``exc`` reports."""
    if isinstance(exc, InvalidClient):
        metrics.auth_failure(AUTH_FAILURE_REASONS.get(exc.detail, "other"))
    elif isinstance(exc, InvalidSubjectToken) or isinstance(exc.__context__, InvalidSubjectToken):
        metrics.auth_failure("invalid_subject_token")
    elif isinstance(exc, SlowDown):
        metrics.rate_limited("failed_authentication")
    elif exc.status == 429:
        metrics.rate_limited("issuance_quota")


def _metered(
    handler: Endpoint,
    metrics: Metrics,
    success: Callable[[Request], str],
    report: Callable[[Request, str, float], None],
) -> Endpoint:
    """``handler``, its outcome reported with the seconds it took: ``success(request)`` when it
    answers, the OAuth error code it raises, or ``temporarily_unavailable`` / ``server_error``."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        result = "server_error"
        try:
            response = await handler(request)
            result = success(request)
            return response
        except OAuthError as exc:
            result = exc.error
            _failure(metrics, exc)
            raise
        except StorageUnavailable:
            result = "temporarily_unavailable"
            raise
        finally:
            report(request, result, time.perf_counter() - started)

    return endpoint


def metered_token(handler: Endpoint, metrics: Metrics, route: str) -> Endpoint:
    """The token endpoint at ``route`` (one of its dialects), counted and timed."""

    def report(request: Request, result: str, seconds: float) -> None:
        scope = request.scope
        metrics.token_request(
            grant=scope.get(_GRANT, "none"),
            route=route,
            token_format=scope.get(_FORMAT, "none"),
            result=result,
            seconds=seconds,
        )

    return _metered(handler, metrics, lambda _request: "issued", report)


def metered_introspection(handler: Endpoint, metrics: Metrics) -> Endpoint:
    """RFC 7662 introspection, counted (active / inactive / error code) and timed."""

    def success(request: Request) -> str:
        return "active" if request.scope.get(_ACTIVE) else "inactive"

    def report(request: Request, result: str, seconds: float) -> None:
        metrics.introspection(result=result, seconds=seconds)

    return _metered(handler, metrics, success, report)
