"""The one place where errors become responses.

* OAuth endpoints: RFC 6749 §5.2 JSON (``error``, ``error_description``) with
  ``Cache-Control: no-store``; 401 ``invalid_client`` adds ``WWW-Authenticate: Basic`` when the
  client used Basic (§5.2); ``Retry-After`` on 429/503.
* Management API: RFC 9457 problem details with a stable ``code``; RFC 6750 §3
  ``WWW-Authenticate: Bearer`` on 401 and on 403 ``insufficient_scope``.
* Anything unexpected becomes ``server_error`` / ``internal_error`` with no detail; the
  traceback goes to the log (which never sees secrets: they are not in exception texts).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tokensmith.core.errors import (
    DPoPUnauthenticated,
    InsufficientScope,
    InvalidClient,
    InvalidDPoPProof,
    OAuthError,
    ProblemError,
    StorageUnavailable,
    TemporarilyUnavailable,
    TokensmithError,
    TooManyRequests,
)
from tokensmith.verify.dpop import DPOP_ALGORITHMS

log = logging.getLogger("tokensmith.http")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PROBLEM_BASE = "https://tokensmith.dev/problems/"
#: Path prefixes answered in the OAuth error dialect.
OAUTH_PATHS = ("/oauth2/", "/api/oauth/token", "/api/v0/login", "/api/v1/token")


class NoStoreJSON(Response):
    """A JSON body with ``Cache-Control: no-store`` and ``Pragma: no-cache`` (RFC 6749 §5.1),
    its headers prepared without the general header machinery (the token endpoint's answer)."""

    media_type = "application/json"

    def __init__(self, content: Any) -> None:
        body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        super().__init__(body)

    def init_headers(self, headers: Any = None) -> None:
        self.raw_headers = [
            (b"content-length", str(len(self.body)).encode("latin-1")),
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"pragma", b"no-cache"),
        ]


def oauth_error_response(
    exc: OAuthError, *, basic_used: bool = False, realm: str = "tokensmith", camel_case: bool = False
) -> JSONResponse:
    """``camel_case``: seed 003's dialect (``/api/v1/token``) spells it ``errorDescription``."""
    body: dict[str, Any] = {"error": exc.error}
    if exc.description:
        body["errorDescription" if camel_case else "error_description"] = exc.description
    headers = dict(NO_STORE)
    if isinstance(exc, InvalidClient) and basic_used:
        headers["WWW-Authenticate"] = f'Basic realm="{realm}", charset="UTF-8"'
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, InvalidDPoPProof) and exc.nonce is not None:
        headers["DPoP-Nonce"] = exc.nonce  # RFC 9449 §8.1
    if exc.detail:
        log.info("oauth error %s: %s", exc.error, exc.detail)
    return JSONResponse(body, status_code=exc.status, headers=headers)


def problem_response(
    status: int, code: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def bearer_challenge(exc: ProblemError, realm: str = "tokensmith") -> str | None:
    """RFC 6750 §3 ``WWW-Authenticate`` for a management-API problem, or ``None``.

    401 without credentials: the bare challenge (§3.1: no error code when the request had no
    authentication); 401 for a token that was presented: ``error="invalid_token"``; 403
    ``insufficient_scope``: ``error="insufficient_scope"`` and the ``scope`` needed.
    """
    if isinstance(exc, InsufficientScope):
        return f'Bearer realm="{realm}", error="insufficient_scope", scope="{_quoted(exc.scope)}"'
    if isinstance(exc, DPoPUnauthenticated):
        # RFC 9449 §7.1: the DPoP scheme's challenge names the accepted proof algorithms.
        return f'DPoP realm="{realm}", error="{exc.code}", algs="{" ".join(DPOP_ALGORITHMS)}"'
    if exc.status != 401:
        return None
    if exc.code == "invalid_token":
        return f'Bearer realm="{realm}", error="invalid_token"'
    return f'Bearer realm="{realm}"'


def _quoted(value: str) -> str:
    """A quoted-string's content (RFC 6750 §3: scope tokens are %x21 / %x23-5B / %x5D-7E)."""
    return "".join(c for c in value if 0x20 <= ord(c) <= 0x7E and c not in '"\\')


def problem_from(exc: ProblemError) -> JSONResponse:
    if exc.detail:
        log.info("problem %s: %s", exc.code, exc.detail)
    challenge = bearer_challenge(exc)
    headers = {"WWW-Authenticate": challenge} if challenge is not None else {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, DPoPUnauthenticated) and exc.nonce is not None:
        headers["DPoP-Nonce"] = exc.nonce  # RFC 9449 §9
    return problem_response(exc.status, exc.code, exc.title, exc.description, headers or None)


def _is_oauth_path(request: Request) -> bool:
    return request.url.path.startswith(OAUTH_PATHS)


def unavailable_response(request: Request, exc: StorageUnavailable) -> JSONResponse:
    log.warning("storage unavailable: %s", exc.detail)
    if _is_oauth_path(request):
        return oauth_error_response(TemporarilyUnavailable())
    return problem_response(
        503,
        "unavailable",
        "Service unavailable",
        "Storage is temporarily unavailable; retry shortly.",
        {"Retry-After": str(exc.retry_after)},
    )


def unexpected_response(request: Request, exc: BaseException) -> JSONResponse:
    log.error(
        "unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc
    )
    if _is_oauth_path(request):
        return JSONResponse({"error": "server_error"}, status_code=500, headers=NO_STORE)
    return problem_response(500, "internal_error", "Internal error", "An unexpected error occurred.")


async def handle_tokensmith_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, StorageUnavailable):
        return unavailable_response(request, exc)
    if isinstance(exc, OAuthError):
        return oauth_error_response(exc)
    if isinstance(exc, ProblemError):
        return problem_from(exc)
    return unexpected_response(request, exc)


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        return unexpected_response(request, exc)
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg")))
    return problem_response(400, "validation_failed", "The request is not valid", "; ".join(problems)[:2000])


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        return unexpected_response(request, exc)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    code = codes.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, code, str(exc.detail), str(exc.detail), dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    return unexpected_response(request, exc)


EXCEPTION_HANDLERS = {
    TokensmithError: handle_tokensmith_error,
    RequestValidationError: handle_validation_error,
    StarletteHTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
