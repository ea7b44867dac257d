"""The token endpoint (RFC 6749 §3.2, §4.4, §5) and its grant registry.

Each grant type maps to a handler that receives the parsed parameters, the client
authentication (if any) and the caller's address, and returns an
:class:`~tokensmith.services.minting.IssuedToken`. Handlers block (they call the services):
the routes run them through :func:`~tokensmith.web.blocking.call_blocking`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tokensmith.core.errors import InvalidClient, InvalidRequest, UnsupportedGrantType
from tokensmith.core.targets import check_targets
from tokensmith.http.oauth_request import ClientAuth, string_param
from tokensmith.services.container import Services
from tokensmith.services.minting import IssuedToken

GrantHandler = Callable[[dict[str, Any], ClientAuth | None, str | None], IssuedToken]

CLIENT_CREDENTIALS = "client_credentials"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


class TokenEndpoint:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.grants: dict[str, GrantHandler] = {
            CLIENT_CREDENTIALS: self._client_credentials,
            TOKEN_EXCHANGE: self._token_exchange,
        }

    def handle(self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None) -> IssuedToken:
        grant_type = string_param(params, "grant_type")
        if not grant_type:
            raise InvalidRequest("The grant_type parameter is required.")
        handler = self.grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantType(f"The grant type {grant_type[:100]!r} is not supported.")
        return handler(params, auth, ip)

    def _client_credentials(
        self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None
    ) -> IssuedToken:
        if auth is None:
            raise InvalidClient("Client authentication is required.")
        return self._services.client_credentials.issue(
            auth.client_id, auth.client_secret, string_param(params, "scope"), ip
        )

    def _token_exchange(self, params: dict[str, Any], auth: ClientAuth | None, ip: str | None) -> IssuedToken:
        """RFC 8693 §2.1: the personal token is the credential; no client authentication.

        ``audience`` and ``resource`` (§2.1, RFC 8707 §2) may only name this deployment's own
        audience (``invalid_target`` otherwise, §2.2.2)."""
        check_targets(
            string_param(params, "audience"), string_param(params, "resource"), self._services.minter.audience
        )
        return self._services.token_exchange.issue(
            string_param(params, "subject_token") or "",
            string_param(params, "subject_token_type"),
            string_param(params, "scope"),
            ip,
        )


def token_body(issued: IssuedToken, *, issued_token_type: bool = False) -> dict[str, Any]:
    """RFC 6749 §5.1 (no refresh token for client credentials, §4.4.3)."""
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    if issued_token_type:
        body["issued_token_type"] = ACCESS_TOKEN_TYPE
    return body
