"""Signing a person in from a command-line tool: the OAuth 2.1 authorization code flow with PKCE and a
loopback redirect (RFC 8252 §7.3, the native-app pattern), against a Tokensmith server.

:class:`LoopbackAuthorization` discovers the server (RFC 8414), registers a public client when it has
no client ID (RFC 7591; a ``http://127.0.0.1/callback`` redirect URI, which the server matches with any
port), listens on ``127.0.0.1`` on a free port, opens the browser on the authorization URL (PKCE
``S256``, RFC 7636; a random ``state``), waits for the one redirect back, checks ``state`` and the
``iss`` response parameter (RFC 9207 §2.4), and exchanges the code for tokens. :meth:`refresh` rotates
the refresh token (the old one is spent: keep the new one).

No I/O happens at import time and nothing of the server is imported. The tokens are returned, never
logged; the local listener answers only its callback path, once, and shuts down.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tokensmith.client.discovery import metadata_urls
from tokensmith.client.errors import DiscoveryError, TokenRequestError, TokensmithClientError
from tokensmith.client.owned_http import OwnsHttpClient

CALLBACK_PATH = "/callback"
REGISTERED_REDIRECT = "http://127.0.0.1" + CALLBACK_PATH
DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>Signed in</title>"
    b"<p>You can close this window and return to the terminal.</p>"
)


class AuthorizationError(TokensmithClientError):
    """The authorization step failed: the server or the person refused (``error`` is the RFC 6749
    §4.1.2.1 code, e.g. ``access_denied``), or the redirect was not the one expected
    (``state_mismatch``, ``issuer_mismatch``, ``timeout``)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(f"authorization failed: {error}" + (f": {description}" if description else ""))


@dataclass(frozen=True)
class AuthorizationTokens:
    """The token response (RFC 6749 §5.1) of the code or refresh grant."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int
    scope: str
    token_type: str = "Bearer"


@dataclass(frozen=True)
class _Endpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None
    iss_required: bool


def pkce_pair() -> tuple[str, str]:
    """``(code_verifier, code_challenge)`` for ``S256`` (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _tokens(response: httpx.Response) -> AuthorizationTokens:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        description = body.get("error_description") if isinstance(body, dict) else None
        raise TokenRequestError(
            str(error or "unexpected_response"),
            str(description) if description else None,
            status_code=response.status_code,
        )
    return AuthorizationTokens(
        access_token=str(body["access_token"]),
        refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
        expires_in=int(body.get("expires_in", 0)),
        scope=str(body.get("scope", "")),
        token_type=str(body.get("token_type", "Bearer")),
    )


class _Callback(HTTPServer):
    result: dict[str, str] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Callback

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        self.server.result = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(DONE_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        return  # the query carries the code: never logged


class LoopbackAuthorization(OwnsHttpClient):
    """Sign a person in through their browser and get tokens for this tool.

    ``open_browser`` receives the authorization URL (default :func:`webbrowser.open`); ``client_id``
    skips registration for a client registered beforehand (its redirect URI must be
    ``http://127.0.0.1/callback``).
    """

    def __init__(
        self,
        issuer: str,
        *,
        scope: str,
        client_id: str | None = None,
        client_name: str = "Tokensmith CLI",
        resource: str | None = None,
        open_browser: Callable[[str], object] = webbrowser.open,
        timeout: float = 300.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.issuer = issuer
        self.scope = scope
        self.client_id = client_id
        self.client_name = client_name
        self.resource = resource
        self._open_browser = open_browser
        self._timeout = timeout
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=30.0)
        self._endpoints: _Endpoints | None = None

    def _discover(self) -> _Endpoints:
        if self._endpoints is None:
            for url in metadata_urls(self.issuer):
                response = self._http.get(url, headers={"Accept": "application/json"})
                if response.status_code == 200:
                    break
            else:
                raise DiscoveryError(f"no authorization server metadata for {self.issuer}")
            document = response.json()
            if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                raise DiscoveryError("the authorization server metadata names another issuer (RFC 8414 §3.3)")
            if "S256" not in (document.get("code_challenge_methods_supported") or []):
                raise DiscoveryError("the authorization server does not support PKCE S256")
            self._endpoints = _Endpoints(
                issuer=self.issuer,
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                registration_endpoint=document.get("registration_endpoint"),
                iss_required=bool(document.get("authorization_response_iss_parameter_supported")),
            )
        return self._endpoints

    def _register(self, endpoints: _Endpoints) -> str:
        if not endpoints.registration_endpoint:
            raise DiscoveryError("the server offers no client registration: pass client_id")
        response = self._http.post(
            endpoints.registration_endpoint,
            json={
                "client_name": self.client_name,
                "redirect_uris": [REGISTERED_REDIRECT],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            },
        )
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if response.status_code != 201 or not isinstance(body.get("client_id"), str):
            raise AuthorizationError(
                str(body.get("error", "registration_failed")), body.get("error_description")
            )
        client_id: str = body["client_id"]
        return client_id

    def run(self) -> AuthorizationTokens:
        """The whole flow: browser, callback, code exchange."""
        endpoints = self._discover()
        if self.client_id is None:
            self.client_id = self._register(endpoints)
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(32)
        server = _Callback(("127.0.0.1", 0), _Handler)
        server.timeout = 1.0
        try:
            redirect_uri = f"http://127.0.0.1:{server.server_address[1]}{CALLBACK_PATH}"
            params = {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            if self.resource:
                params["resource"] = self.resource
            self._open_browser(endpoints.authorization_endpoint + "?" + urlencode(params))
            result = self._wait(server)
        finally:
            server.server_close()
        if not hmac.compare_digest(result.get("state", ""), state):
            raise AuthorizationError("state_mismatch", "the redirect does not answer this request")
        iss = result.get("iss")
        if (iss is not None or endpoints.iss_required) and iss != endpoints.issuer:
            raise AuthorizationError("issuer_mismatch", "the redirect came from another server (RFC 9207)")
        if "error" in result:
            raise AuthorizationError(result["error"], result.get("error_description"))
        if not result.get("code"):
            raise AuthorizationError("invalid_response", "the redirect carries no code")
        data = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": result["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        if self.resource:
            data["resource"] = self.resource
        return _tokens(self._http.post(endpoints.token_endpoint, data=data))

    def _wait(self, server: _Callback) -> dict[str, str]:
        stop = threading.Event()
        timer = threading.Timer(self._timeout, stop.set)
        timer.start()
        try:
            while server.result is None and not stop.is_set():
                server.handle_request()
        finally:
            timer.cancel()
        if server.result is None:
            raise AuthorizationError("timeout", "no redirect came back in time")
        return server.result

    def refresh(self, tokens: AuthorizationTokens, scope: str | None = None) -> AuthorizationTokens:
        """New tokens for ``tokens.refresh_token`` (RFC 6749 §6); the old refresh token is spent."""
        if tokens.refresh_token is None or self.client_id is None:
            raise ValueError("nothing to refresh: no refresh token or client ID")
        data = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "refresh_token": tokens.refresh_token,
        }
        if scope is not None:
            data["scope"] = scope
        if self.resource:
            data["resource"] = self.resource
        return _tokens(self._http.post(self._discover().token_endpoint, data=data))
