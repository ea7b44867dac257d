"""RFC 6750 bearer-token authentication for Starlette (and FastAPI) applications.

:func:`install` puts a :class:`~tokensmith.verify.Verifier` on the app and registers the one error
renderer, :func:`error_response`, which answers per RFC 6750 §3:

- no token → ``401`` with ``WWW-Authenticate: Bearer realm="..."`` and no error code (§3.1);
- a bad token → ``401``, ``Bearer realm="...", error="invalid_token", error_description="..."``;
- a missing scope → ``403``, ``error="insufficient_scope"`` and ``scope="..."`` (§3.1);
- the authorization server unreachable → ``503`` with ``Retry-After``;
- a DPoP-bound token (RFC 9449 §7.1) comes as ``Authorization: DPoP <token>`` with a ``DPoP``
  proof header; a bad proof → ``401``, ``DPoP realm="...", error="invalid_dpop_proof", algs="..."``.

Bodies are JSON ``{"error", "error_description"}``, with ``Cache-Control: no-store``. Only the
``Authorization`` header is read (§2.1); tokens in query strings (§2.3) are not accepted. The URL a
DPoP proof must name is the request's as Starlette sees it; behind a proxy, make Starlette see the
public one (uvicorn's ``--proxy-headers``), or pass ``public_url`` to :func:`install`.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from tokensmith.verify.dpop import DPOP_ALGORITHMS
from tokensmith.verify.errors import (
    InsufficientScopeError,
    InvalidDPoPProofError,
    InvalidTokenError,
    MissingTokenError,
    VerificationError,
    VerifierUnavailableError,
)
from tokensmith.verify.principal import Principal
from tokensmith.verify.verifier import DPoPPresentation, Verifier

__all__ = ["authenticate", "bearer_token", "dpop_presentation", "error_response", "install"]

DEFAULT_REALM = "api"
RETRY_AFTER_SECONDS = 5


def _quoted(value: str) -> str:
    """An RFC 6750 §3 quoted-string value: printable ASCII without ``"`` and ``\\``."""
    cleaned = "".join(
        c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "'" if c == '"' else "" for c in value
    )
    return f'"{cleaned}"'


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header (RFC 6750 §2.1), or ``None`` when absent.

    A header of another scheme counts as no bearer token; ``Bearer`` with nothing after it is invalid.
    """
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() not in ("bearer", "dpop"):
        return None
    credentials = credentials.strip(" ")
    if not credentials or " " in credentials:
        raise InvalidTokenError(f"The Authorization header must be '{scheme} <token>'.")
    return credentials


def dpop_presentation(connection: HTTPConnection, public_url: str | None = None) -> DPoPPresentation | None:
    """For ``Authorization: DPoP <token>`` (RFC 9449 §7.1): the request's proofs, method and URL
    (``public_url`` + path when given); ``None`` for ``Bearer``."""
    header = connection.headers.get("authorization", "")
    if header.partition(" ")[0].lower() != "dpop":
        return None
    url = str(connection.url.replace(query="", fragment=""))
    if public_url is not None:
        url = public_url.rstrip("/") + connection.url.path
    proofs = tuple(v.decode("latin-1") for k, v in connection.headers.raw if k == b"dpop")
    return DPoPPresentation(proofs, connection.scope.get("method", "GET"), url)


def error_response(exc: VerificationError, *, realm: str = DEFAULT_REALM) -> Response:
    """The one place a verification failure becomes an HTTP answer (RFC 6750 §3)."""
    headers = {"Cache-Control": "no-store"}
    challenge = [f"realm={_quoted(realm)}"]
    if isinstance(exc, VerifierUnavailableError):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif not isinstance(exc, MissingTokenError):
        challenge += [f"error={_quoted(exc.error)}", f"error_description={_quoted(exc.description)}"]
        if isinstance(exc, InsufficientScopeError):
            challenge.append(f"scope={_quoted(' '.join(exc.required))}")
    if isinstance(exc, InvalidDPoPProofError):
        challenge.append(f"algs={_quoted(' '.join(DPOP_ALGORITHMS))}")
        headers["WWW-Authenticate"] = "DPoP " + ", ".join(challenge)
    elif not isinstance(exc, VerifierUnavailableError):
        headers["WWW-Authenticate"] = "Bearer " + ", ".join(challenge)
    body = {"error": exc.error, "error_description": exc.description}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _verifier(connection: HTTPConnection) -> Verifier:
    verifier = getattr(connection.app.state, "tokensmith_verifier", None)
    if not isinstance(verifier, Verifier):
        raise RuntimeError("Call tokensmith.verify.starlette.install(app, verifier) first.")
    return verifier


async def authenticate(connection: HTTPConnection, scopes: Iterable[str] = ()) -> Principal:
    """Verify the request's bearer token with the app's verifier and require ``scopes``.

    The principal is remembered on ``connection.state.principal`` so several guards verify once.
    """
    required = tuple(scopes)
    principal = getattr(connection.state, "principal", None)
    if not isinstance(principal, Principal):
        token = bearer_token(connection)
        if token is None:
            raise MissingTokenError()
        public_url = getattr(connection.app.state, "tokensmith_public_url", None)
        principal = await _verifier(connection).averify(token, dpop=dpop_presentation(connection, public_url))
        connection.state.principal = principal
    if not principal.has_scopes(*required):
        raise InsufficientScopeError(required)
    return principal


def install(
    app: Starlette, verifier: Verifier, *, realm: str = DEFAULT_REALM, public_url: str | None = None
) -> None:
    """Attach ``verifier`` to ``app`` and render every :class:`VerificationError` per RFC 6750 §3.

    ``public_url``: the origin clients address (``https://api.example.com``), which DPoP proofs
    name in ``htu``; by default the URL the request reached."""
    app.state.tokensmith_verifier = verifier
    app.state.tokensmith_public_url = public_url

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VerificationError)
        return error_response(exc, realm=realm)

    app.add_exception_handler(VerificationError, handle)
