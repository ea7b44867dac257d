"""The token endpoint (RFC 6749 §3.2, §4.4, §5) and its grant registry.

Each grant type maps to a handler that receives the parsed parameters, the client
authentication (if any), the caller's address and the key thumbprint of the request's checked
DPoP proof (RFC 9449 §5; ``None`` without one), and returns an
:class:`~tokensmith.services.minting.IssuedToken`. Handlers block (they call the services):
the routes run them through :func:`~tokensmith.web.blocking.call_blocking`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tokensmith.core.errors import InvalidClient, InvalidRequest, UnsupportedGrantType
from tokensmith.http.oauth_request import ClientAuth, string_param
from tokensmith.services.container import Services
from tokensmith.services.minting import IssuedToken

GrantHandler = Callable[[dict[str, Any], ClientAuth | None, str | None, str | None], IssuedToken]

CLIENT_CREDENTIALS = "client_credentials"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


class TokenEndpoint:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.grants: dict[str, GrantHandler] = {
            CLIENT_CREDENTIALS: self._client_credentials,
            TOKEN_EXCHANGE: self._token_exchange,
            AUTHORIZATION_CODE: self._authorization_code,
            REFRESH_TOKEN: self._refresh_token,
        }

    def handle(
        self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None, jkt: str | None = None
    ) -> IssuedToken:
        grant_type = string_param(params, "grant_type")
        if not grant_type:
            raise InvalidRequest("The grant_type parameter is required.")
        handler = self.grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantType(f"The grant type {grant_type[:100]!r} is not supported.")
        return handler(params, auth, ip, jkt)

    def _client_credentials(
        self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None, jkt: str | None
    ) -> IssuedToken:
        if auth is None:
            raise InvalidClient("Client authentication is required.")
        return self._services.client_credentials.issue(
            auth.client_id,
            auth.client_secret,
            string_param(params, "scope"),
            ip,
            assertion=auth.assertion,
            resource=string_param(params, "resource"),
            jkt=jkt,
        )

    def _token_exchange(
        self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None, jkt: str | None
    ) -> IssuedToken:
        """RFC 8693 §2.1: the personal token is the credential; no client authentication.

        ``audience`` and ``resource`` (§2.1, RFC 8707 §2) must name a registered resource, the same
        one when both are sent (``invalid_target`` otherwise, §2.2.2)."""
        return self._services.token_exchange.issue(
            string_param(params, "subject_token") or "",
            string_param(params, "subject_token_type"),
            string_param(params, "scope"),
            ip,
            resource=string_param(params, "resource"),
            audience=string_param(params, "audience"),
            jkt=jkt,
        )

    def _public_client(self, params: dict[str, Any], auth: ClientAuth | None) -> str | None:
        """OAuth 2.1 draft §2.4: a public client identifies itself by ``client_id`` in the body,
        with no secret; the clients of these grants are all public."""
        if auth is not None:
            raise InvalidClient("This grant is for public clients: send client_id without a secret.")
        return string_param(params, "client_id")

    def _authorization_code(
        self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None, jkt: str | None
    ) -> IssuedToken:
        """OAuth 2.1 draft §4.1.3 (services/authorization_grants.py)."""
        return self._services.authorization_grants.exchange_code(
            self._public_client(params, auth),
            string_param(params, "code"),
            string_param(params, "redirect_uri"),
            string_param(params, "code_verifier"),
            string_param(params, "resource"),
            ip,
            jkt=jkt,
        )

    def _refresh_token(
        self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None, jkt: str | None
    ) -> IssuedToken:
        """OAuth 2.1 draft §4.3 (services/authorization_grants.py)."""
        return self._services.authorization_grants.refresh(
            self._public_client(params, auth),
            string_param(params, "refresh_token"),
            string_param(params, "scope"),
            string_param(params, "resource"),
            ip,
            jkt=jkt,
        )


def token_body(issued: IssuedToken, *, issued_token_type: bool = False) -> dict[str, Any]:
    """RFC 6749 §5.1 (no refresh token for client credentials, §4.4.3; one for the code flow)."""
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    if issued_token_type:
        body["issued_token_type"] = ACCESS_TOKEN_TYPE
    return body
