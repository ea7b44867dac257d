"""What the MCP tools act on: this server's services, or a remote Tokensmith over its management API.

:class:`Backend` is the twelve operations, blocking (the tools run them in a worker thread); the
arguments of each are declared once, as the ``TypedDict`` its keywords unpack. :class:`LocalBackend`
calls :mod:`tokensmith.services` on behalf of one :class:`~tokensmith.core.actors.Actor` (so scopes,
roles, organisation boundaries and audit events are the services' own); :class:`RemoteBackend` is the
SDK's :class:`~tokensmith.client.ManagementClient`, whose server applies the same rules. Both answer in
the records' one description (:mod:`tokensmith.wire`), built by the same ``of()`` from a service record
or from the SDK's model of it.

:func:`tool_error` is the one mapping from an error Tokensmith raises on purpose (the tree of
:mod:`tokensmith.core.errors`, or the problem a remote server rendered from it) to a tool error;
nothing else raised reaches the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NotRequired, Protocol, TypedDict, Unpack

import httpx
from mcp.server.mcpserver.exceptions import ToolError

from tokensmith.client import ManagementClient
from tokensmith.client.errors import ApiError, TokensmithClientError
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.errors import Forbidden, OAuthError, ProblemError, StorageUnavailable
from tokensmith.core.records import CredentialKind, TokenFormat
from tokensmith.services.container import Services
from tokensmith.wire.credentials import (
    CreatedCredentialOut,
    CredentialKindName,
    CredentialOut,
    DeletedCredential,
    TokenFormatName,
)
from tokensmith.wire.page import Items, Page
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut, RevokedToken
from tokensmith.wire.webhooks import (
    CreatedWebhookEndpointOut,
    DeletedWebhook,
    WebhookDeliveryOut,
    WebhookEndpointOut,
)


class TokenQuery(TypedDict):
    expiring_within_seconds: int | None
    limit: int
    cursor: str | None


class NewToken(TypedDict):
    name: str
    scopes: list[str]
    description: str
    expires_in_days: int | None
    expires_at: datetime | None


class CredentialQuery(TypedDict):
    kind: CredentialKindName | None
    limit: int
    cursor: str | None


class NewCredential(TypedDict):
    name: str
    kind: CredentialKindName
    scopes: list[str] | None
    #: ``None``: the services' default format.
    token_format: TokenFormatName | None
    token_ttl: int | None
    description: str
    #: RFC 9449 §5: token requests without a DPoP proof are refused.
    require_dpop: bool
    #: A keyless (private_key_jwt, RFC 7523 §2.2) credential: its public keys, or where it publishes them.
    jwks: NotRequired[dict[str, Any] | None]
    jwks_uri: NotRequired[str | None]
    #: Token requests are answered with the still-valid token already issued.
    reuse_tokens: NotRequired[bool]


class NewWebhook(TypedDict):
    url: str
    events: list[str]
    description: str


class Backend(Protocol):
    def list_tokens(self, **query: Unpack[TokenQuery]) -> Page[PersonalTokenOut]: ...

    def create_token(self, **new: Unpack[NewToken]) -> CreatedPersonalTokenOut: ...

    def revoke_token(self, token_id: str) -> RevokedToken: ...

    def list_credentials(self, **query: Unpack[CredentialQuery]) -> Page[CredentialOut]: ...

    def create_credential(self, **new: Unpack[NewCredential]) -> CreatedCredentialOut: ...

    def regenerate_credential_secret(
        self, credential_id: str, *, grace_seconds: int
    ) -> CreatedCredentialOut: ...

    def delete_credential(self, credential_id: str) -> DeletedCredential: ...

    # The webhooks of the organisation the caller acts in.

    def list_webhooks(self) -> Items[WebhookEndpointOut]: ...

    def create_webhook(self, **new: Unpack[NewWebhook]) -> CreatedWebhookEndpointOut: ...

    def delete_webhook(self, endpoint_id: str) -> DeletedWebhook: ...

    def list_webhook_deliveries(self, endpoint_id: str, *, limit: int) -> Items[WebhookDeliveryOut]: ...

    def replay_webhook_delivery(self, endpoint_id: str, delivery_id: str) -> WebhookDeliveryOut: ...


def tool_error(exc: BaseException) -> ToolError | None:
    """``"<code>: <what happened>"`` for an error raised on purpose; ``None`` for anything else."""
    if isinstance(exc, ProblemError | StorageUnavailable):
        return ToolError(f"{exc.code}: {exc.description}")
    if isinstance(exc, OAuthError):
        return ToolError(f"{exc.error}: {exc.description}")
    if isinstance(exc, ApiError):
        return ToolError(f"{exc.code}: {exc.detail or exc.title}")
    if isinstance(exc, TokensmithClientError | httpx.TransportError):
        what = type(exc).__name__
        return ToolError(f"unavailable: the Tokensmith server did not answer usefully ({what})")
    return None


@contextmanager
def tool_errors() -> Iterator[None]:
    """Raise the :func:`tool_error` of what the block raises on purpose (anything else unchanged)."""
    try:
        yield
    except Exception as exc:
        error = tool_error(exc)
        if error is None:
            raise
        raise error from None


# -- local: the services, as one actor -------------------------------------------------------------


class LocalBackend:
    def __init__(self, services: Services, actor: Actor) -> None:
        self._s = services
        self._actor = actor

    def _org_id(self) -> str:
        if self._actor.org_id is None:  # pragma: no cover - authenticated actors always have one
            raise Forbidden("this token is not tied to an organisation")
        return self._actor.org_id

    def list_tokens(self, **query: Unpack[TokenQuery]) -> Page[PersonalTokenOut]:
        seconds = query["expiring_within_seconds"]
        page = self._s.personal_tokens.list(
            self._actor,
            expiring_within=timedelta(seconds=seconds) if seconds is not None else None,
            cursor=query["cursor"],
            limit=query["limit"],
        )
        return Page.of(PersonalTokenOut.of, page)

    def create_token(self, **new: Unpack[NewToken]) -> CreatedPersonalTokenOut:
        created = self._s.personal_tokens.create(self._actor, **new)
        return CreatedPersonalTokenOut.of(created.token, token=created.plain)

    def revoke_token(self, token_id: str) -> RevokedToken:
        return RevokedToken(id=self._s.personal_tokens.revoke(self._actor, token_id).id, revoked=True)

    def list_credentials(self, **query: Unpack[CredentialQuery]) -> Page[CredentialOut]:
        kind = query["kind"]
        page = self._s.credentials.list(
            self._actor,
            org_id=self._org_id(),
            kind=CredentialKind(kind) if kind is not None else None,
            cursor=query["cursor"],
            limit=query["limit"],
        )
        return Page.of(CredentialOut.of, page)

    def create_credential(self, **new: Unpack[NewCredential]) -> CreatedCredentialOut:
        create = partial(
            self._s.credentials.create,
            self._actor,
            org_id=self._org_id(),
            name=new["name"],
            kind=CredentialKind(new["kind"]),
            scopes=new["scopes"],
            token_ttl=new["token_ttl"],
            description=new["description"],
            **_key_material(new),
            require_dpop=new["require_dpop"],
            reuse_tokens=new.get("reuse_tokens", False),
        )
        token_format = new["token_format"]
        created = create() if token_format is None else create(token_format=TokenFormat(token_format))
        return CreatedCredentialOut.of(created.credential, client_secret=created.shown_secret)

    def regenerate_credential_secret(self, credential_id: str, *, grace_seconds: int) -> CreatedCredentialOut:
        created = self._s.credentials.regenerate(self._actor, credential_id, grace_seconds=grace_seconds)
        return CreatedCredentialOut.of(created.credential, client_secret=created.client_secret)

    def delete_credential(self, credential_id: str) -> DeletedCredential:
        return DeletedCredential(id=self._s.credentials.delete(self._actor, credential_id).id, deleted=True)

    def list_webhooks(self) -> Items[WebhookEndpointOut]:
        return Items.of(WebhookEndpointOut.of, self._s.webhooks.list(self._actor, self._org_id()))

    def create_webhook(self, **new: Unpack[NewWebhook]) -> CreatedWebhookEndpointOut:
        created = self._s.webhooks.create(self._actor, self._org_id(), **new)
        return CreatedWebhookEndpointOut.of(created.endpoint, secret=created.secret)

    def delete_webhook(self, endpoint_id: str) -> DeletedWebhook:
        deleted = self._s.webhooks.delete(self._actor, self._org_id(), endpoint_id)
        return DeletedWebhook(id=deleted.id, deleted=True)

    def list_webhook_deliveries(self, endpoint_id: str, *, limit: int) -> Items[WebhookDeliveryOut]:
        found = self._s.webhooks.deliveries(self._actor, self._org_id(), endpoint_id, limit=limit)
        return Items.of(WebhookDeliveryOut.of, found)

    def replay_webhook_delivery(self, endpoint_id: str, delivery_id: str) -> WebhookDeliveryOut:
        again = self._s.webhooks.replay(self._actor, self._org_id(), endpoint_id, delivery_id)
        return WebhookDeliveryOut.of(again)


# -- remote: another Tokensmith, over its management API ----------------------------------------------


class RemoteBackend:
    """The same operations through the SDK's :class:`~tokensmith.client.ManagementClient` (``/api/…`` of
    a remote Tokensmith, which authorises and audits them); its models carry the wire fields, so the
    same ``of()`` maps them."""

    def __init__(self, client: ManagementClient) -> None:
        self._api = client
        self._org: str | None = None

    def _org_id(self) -> str:
        """The organisation the token acts in (``GET /api/me``, asked once)."""
        if self._org is None:
            self._org = self._api.me().org.id
        return self._org

    def list_tokens(self, **query: Unpack[TokenQuery]) -> Page[PersonalTokenOut]:
        page = self._api.list_tokens(
            query["expiring_within_seconds"], limit=query["limit"], cursor=query["cursor"]
        )
        return Page.of(PersonalTokenOut.of, page)

    def create_token(self, **new: Unpack[NewToken]) -> CreatedPersonalTokenOut:
        created = self._api.create_token(
            new["name"],
            new["scopes"],
            description=new["description"] or None,
            expires_in_days=new["expires_in_days"],
            expires_at=new["expires_at"],
        )
        return CreatedPersonalTokenOut.of(created)

    def revoke_token(self, token_id: str) -> RevokedToken:
        self._api.revoke_token(token_id)
        return RevokedToken(id=token_id, revoked=True)

    def list_credentials(self, **query: Unpack[CredentialQuery]) -> Page[CredentialOut]:
        page = self._api.list_credentials(query["kind"], limit=query["limit"], cursor=query["cursor"])
        return Page.of(CredentialOut.of, page)

    def create_credential(self, **new: Unpack[NewCredential]) -> CreatedCredentialOut:
        created = self._api.create_credential(
            new["name"],
            new["kind"],
            scopes=new["scopes"],
            token_format=new["token_format"],
            token_ttl=new["token_ttl"],
            description=new["description"] or None,
            jwks=new.get("jwks"),
            jwks_uri=new.get("jwks_uri"),
            require_dpop=new["require_dpop"] or None,
            reuse_tokens=new.get("reuse_tokens") or None,
        )
        return CreatedCredentialOut.of(created)

    def regenerate_credential_secret(self, credential_id: str, *, grace_seconds: int) -> CreatedCredentialOut:
        return CreatedCredentialOut.of(
            self._api.regenerate_credential_secret(credential_id, grace_seconds=grace_seconds)
        )

    def delete_credential(self, credential_id: str) -> DeletedCredential:
        self._api.delete_credential(credential_id)
        return DeletedCredential(id=credential_id, deleted=True)

    def list_webhooks(self) -> Items[WebhookEndpointOut]:
        return Items.of(WebhookEndpointOut.of, self._api.list_webhooks(self._org_id()))

    def create_webhook(self, **new: Unpack[NewWebhook]) -> CreatedWebhookEndpointOut:
        created = self._api.create_webhook(
            self._org_id(), new["url"], new["events"], description=new["description"] or None
        )
        return CreatedWebhookEndpointOut.of(created)

    def delete_webhook(self, endpoint_id: str) -> DeletedWebhook:
        self._api.delete_webhook(self._org_id(), endpoint_id)
        return DeletedWebhook(id=endpoint_id, deleted=True)

    def list_webhook_deliveries(self, endpoint_id: str, *, limit: int) -> Items[WebhookDeliveryOut]:
        found = self._api.list_webhook_deliveries(self._org_id(), endpoint_id, limit=limit)
        return Items.of(WebhookDeliveryOut.of, found)

    def replay_webhook_delivery(self, endpoint_id: str, delivery_id: str) -> WebhookDeliveryOut:
        again = self._api.replay_webhook_delivery(self._org_id(), endpoint_id, delivery_id)
        return WebhookDeliveryOut.of(again)


def _key_material(new: NewCredential) -> dict[str, Any]:
    """The services' private_key_jwt arguments for a new credential (none for a secret-based one)."""
    jwks, jwks_uri = new.get("jwks"), new.get("jwks_uri")
    if jwks is None and jwks_uri is None:
        return {}
    return {"auth_method": ClientAuthMethod.PRIVATE_KEY_JWT, "jwks": jwks, "jwks_uri": jwks_uri}
