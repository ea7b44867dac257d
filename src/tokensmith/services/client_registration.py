"""RFC 7591 Dynamic Client Registration of public clients, and finding a public client by its id.

Only public clients are registered (``token_endpoint_auth_method: none``, OAuth 2.1 draft §2.1):
nothing secret is issued, so the endpoint is anonymous, and PKCE binds each code to the instance
that asked for it. RFC 7591 §3.2.1 lets the server replace requested values: a request for
``client_secret_post`` or ``client_secret_basic`` is registered as ``none`` (MCP clients ask for a
secret by default and read the method back from the response); ``private_key_jwt`` and other
methods are ``invalid_client_metadata``. Whether registration is open at all is the deployment's
switch (``TOKENSMITH_CLIENT_REGISTRATION_OPEN``; unset: open in development only); whether a registered
app may be authorized in an organisation is that organisation's policy (``allow_registered_clients``,
:func:`tokensmith.core.policies.client_kind_refusal`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tokensmith.core import permissions
from tokensmith.core import redirect_uris as uri_rules
from tokensmith.core import scopes as scope_rules
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.authorization import PublicClient
from tokensmith.core.clock import Clock, epoch
from tokensmith.core.errors import (
    AccessDenied,
    InvalidClientMetadata,
    InvalidRedirectUri,
    InvalidRequest,
    NotFound,
)
from tokensmith.core.ids import new_client_id
from tokensmith.services.audit import AuditLog
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.authorization import PublicClientRepository

GRANT_TYPES = ("authorization_code", "refresh_token")
#: Methods a client may ask for that are registered as ``none`` (RFC 7591 §3.2.1 replacement).
_REPLACED_AUTH_METHODS = frozenset({"none", "client_secret_post", "client_secret_basic"})
MAX_NAME_LENGTH = 200
MAX_URI_LENGTH = 2000


def _string(body: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidClientMetadata(f"{name} must be a string of at most {limit} characters.")
    return value


def _string_list(body: Mapping[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidClientMetadata(f"{name} must be an array of strings.")
    return list(value)


def redirect_uris_of(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The registered redirect URIs (RFC 7591 §2), each one checked (:mod:`tokensmith.core.redirect_uris`)."""
    value = body.get("redirect_uris")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidRedirectUri("redirect_uris must be a non-empty array of strings.")
    if len(value) > uri_rules.MAX_REDIRECT_URIS:
        raise InvalidRedirectUri(f"At most {uri_rules.MAX_REDIRECT_URIS} redirect URIs may be registered.")
    for uri in value:
        why = uri_rules.problem(uri)
        if why is not None:
            raise InvalidRedirectUri(f"{why}: {uri[:200]!r}")
    return tuple(dict.fromkeys(value))


@dataclass(frozen=True)
class ClientMetadata:
    """What a registration request (or a Client ID Metadata Document) says about a public client."""

    client_name: str
    redirect_uris: tuple[str, ...]
    scope: frozenset[str]
    client_uri: str | None

    def client(self, client_id: str, created_at: datetime, *, from_document: bool = False) -> PublicClient:
        return PublicClient(
            client_id=client_id,
            client_name=self.client_name,
            redirect_uris=self.redirect_uris,
            scope=self.scope,
            client_uri=self.client_uri,
            created_at=created_at,
            from_metadata_document=from_document,
        )


def check_metadata(body: Mapping[str, Any], registry: Mapping[str, str]) -> ClientMetadata:
    """The public client a registration request (or a Client ID Metadata Document) describes (RFC 7591 §2)."""
    uris = redirect_uris_of(body)
    method = _string(body, "token_endpoint_auth_method", 64)
    if method is not None and method not in _REPLACED_AUTH_METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {method[:40]!r} is not supported; public clients use none."
        )
    grant_types = _string_list(body, "grant_types")
    if grant_types is not None and not set(grant_types) <= set(GRANT_TYPES):
        raise InvalidClientMetadata("grant_types may only be authorization_code and refresh_token.")
    response_types = _string_list(body, "response_types")
    if response_types is not None and set(response_types) - {"code"}:
        raise InvalidClientMetadata("response_types may only be code.")
    scope_text = _string(body, "scope", 2000)
    try:
        scope = scope_rules.parse(scope_text)
    except InvalidRequest as exc:
        raise InvalidClientMetadata(exc.description) from None
    unknown = scope_rules.unknown(scope, registry)
    if unknown:
        raise InvalidClientMetadata(f"Unknown scope(s): {' '.join(unknown)[:200]}")
    client_uri = _string(body, "client_uri", MAX_URI_LENGTH)
    if client_uri is not None and not client_uri.startswith(("https://", "http://")):
        raise InvalidClientMetadata("client_uri must be an http(s) URL.")
    name = (_string(body, "client_name", MAX_NAME_LENGTH) or "").strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise InvalidClientMetadata("client_name may not contain control characters.")
    return ClientMetadata(client_name=name, redirect_uris=uris, scope=scope, client_uri=client_uri)


def registration_response(client: PublicClient) -> dict[str, Any]:
    """RFC 7591 §3.2.1: every registered metadata value, as registered."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": epoch(client.created_at),
        "client_name": client.client_name,
        "redirect_uris": list(client.redirect_uris),
        "token_endpoint_auth_method": "none",
        "grant_types": list(GRANT_TYPES),
        "response_types": ["code"],
    }
    if client.scope:
        body["scope"] = scope_rules.format_scopes(client.scope)
    if client.client_uri:
        body["client_uri"] = client.client_uri
    return body


@dataclass(frozen=True, eq=False)
class ClientRegistration:
    """``POST /oauth2/register`` and the directory of registered public clients."""

    database: Database
    clock: Clock
    audit: AuditLog
    registry: Mapping[str, str]
    open: bool

    def register(self, body: Mapping[str, Any], ip: str | None) -> PublicClient:
        """RFC 7591 §3.1: register a public client; audited as ``oauth_client.registered``."""
        if not self.open:
            raise AccessDenied("Client registration is closed on this server.")
        client = check_metadata(body, self.registry).client(new_client_id(), self.clock.now())
        actor = Actor(method=AuthMethod.CLIENT, transport=Transport.OAUTH, client_id=client.client_id, ip=ip)
        with self.database.transaction() as connection:
            PublicClientRepository(connection).insert(client)
            self.audit.record(
                connection,
                actor,
                "oauth_client.registered",
                org_id=None,
                target_kind="oauth_client",
                target_id=client.client_id,
                target_hint=client.client_name[:200] or None,
                details={"redirect_uris": list(client.redirect_uris)[:10]},
            )
        return client

    def get(self, client_id: str) -> PublicClient | None:
        if not client_id or len(client_id) > 64:
            return None
        with self.database.transaction() as connection:
            return PublicClientRepository(connection).get(client_id)

    def list(self, actor: Actor) -> list[PublicClient]:
        """Every registered public client (the operator, or an owner or admin; scope ``credentials:read``)."""
        permissions.require_scope(actor, "credentials:read")
        permissions.require_admin(actor, "see registered apps")
        with self.database.transaction() as connection:
            return PublicClientRepository(connection).list()

    def remove(self, actor: Actor, client_id: str) -> None:
        """Remove a registered client: it can no longer start a flow nor refresh (``credentials:write``)."""
        permissions.require_scope(actor, "credentials:write")
        permissions.require_admin(actor, "remove registered apps")
        with self.database.transaction() as connection:
            if not PublicClientRepository(connection).delete(client_id):
                raise NotFound("no such registered client")
            self.audit.record(
                connection,
                actor,
                "oauth_client.removed",
                org_id=actor.org_id,
                target_kind="oauth_client",
                target_id=client_id[:64],
            )
