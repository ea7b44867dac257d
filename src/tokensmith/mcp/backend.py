"""What the MCP tools act on: this server's services, or a remote Tokensmith over its management API.

:class:`Backend` is the seven operations, blocking (the tools run them in a worker thread).
:class:`LocalBackend` calls :mod:`tokensmith.services` on behalf of one
:class:`~tokensmith.core.actors.Actor` (so scopes, roles, organisation boundaries and audit events are
the services' own); :class:`RemoteBackend` calls :class:`~tokensmith.client.ManagementClient`, whose
server applies the same rules.
Both raise :class:`~mcp.server.mcpserver.exceptions.ToolError` with a message a model can act on; nothing
else they raise on purpose reaches the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from mcp.server.mcpserver.exceptions import ToolError

from tokensmith.client import ManagementClient
from tokensmith.client import models as remote
from tokensmith.client.errors import ApiError, TokensmithClientError
from tokensmith.core.actors import Actor
from tokensmith.core.errors import OAuthError, ProblemError, StorageUnavailable
from tokensmith.core.records import Credential, CredentialKind, PersonalTokenRecord, TokenFormat
from tokensmith.mcp import schemas
from tokensmith.services.container import Services


class Backend(Protocol):
    def list_tokens(
        self, *, expiring_within_seconds: int | None, limit: int, cursor: str | None
    ) -> schemas.PersonalTokenList: ...

    def create_token(
        self,
        *,
        name: str,
        scopes: list[str],
        description: str,
        expires_in_days: int | None,
        expires_at: datetime | None,
    ) -> schemas.CreatedPersonalToken: ...

    def revoke_token(self, token_id: str) -> schemas.RevokedToken: ...

    def list_credentials(
        self, *, kind: schemas.CredentialKindName | None, limit: int, cursor: str | None
    ) -> schemas.CredentialList: ...

    def create_credential(
        self,
        *,
        name: str,
        kind: schemas.CredentialKindName,
        scopes: list[str] | None,
        token_format: schemas.TokenFormatName | None,
        token_ttl: int | None,
        description: str,
    ) -> schemas.CreatedCredential: ...

    def regenerate_credential_secret(
        self, credential_id: str, *, grace_seconds: int
    ) -> schemas.CreatedCredential: ...

    def delete_credential(self, credential_id: str) -> schemas.DeletedCredential: ...


@contextmanager
def tool_errors() -> Iterator[None]:
    """Turn the errors Tokensmith raises on purpose into tool errors: ``"<code>: <what happened>"``."""
    try:
        yield
    except ProblemError as exc:
        raise ToolError(f"{exc.code}: {exc.description}") from None
    except StorageUnavailable:
        raise ToolError("unavailable: storage is temporarily unavailable; retry in a few seconds") from None
    except OAuthError as exc:
        raise ToolError(f"{exc.error}: {exc.description}") from None
    except ApiError as exc:
        raise ToolError(f"{exc.code}: {exc.detail or exc.title}") from None
    except (TokensmithClientError, httpx.TransportError) as exc:
        what = type(exc).__name__
        raise ToolError(f"unavailable: the Tokensmith server did not answer usefully ({what})") from None


# -- local: the services, as one actor -------------------------------------------------------------


class LocalBackend:
    def __init__(self, services: Services, actor: Actor) -> None:
        self._s = services
        self._actor = actor

    def _org_id(self) -> str:
        if self._actor.org_id is None:  # pragma: no cover - authenticated actors always have one
            raise ToolError("forbidden: this token is not tied to an organisation")
        return self._actor.org_id

    def list_tokens(
        self, *, expiring_within_seconds: int | None, limit: int, cursor: str | None
    ) -> schemas.PersonalTokenList:
        within = timedelta(seconds=expiring_within_seconds) if expiring_within_seconds is not None else None
        page = self._s.personal_tokens.list(self._actor, expiring_within=within, cursor=cursor, limit=limit)
        return schemas.PersonalTokenList(items=[_token(t) for t in page.items], next_cursor=page.next_cursor)

    def create_token(
        self,
        *,
        name: str,
        scopes: list[str],
        description: str,
        expires_in_days: int | None,
        expires_at: datetime | None,
    ) -> schemas.CreatedPersonalToken:
        created = self._s.personal_tokens.create(
            self._actor,
            name=name,
            scopes=scopes,
            description=description,
            expires_in_days=expires_in_days,
            expires_at=expires_at,
        )
        return schemas.CreatedPersonalToken(**_token(created.token).model_dump(), token=created.plain)

    def revoke_token(self, token_id: str) -> schemas.RevokedToken:
        revoked = self._s.personal_tokens.revoke(self._actor, token_id)
        return schemas.RevokedToken(id=revoked.id, revoked=True)

    def list_credentials(
        self, *, kind: schemas.CredentialKindName | None, limit: int, cursor: str | None
    ) -> schemas.CredentialList:
        page = self._s.credentials.list(
            self._actor,
            org_id=self._org_id(),
            kind=CredentialKind(kind) if kind is not None else None,
            cursor=cursor,
            limit=limit,
        )
        return schemas.CredentialList(
            items=[_credential(c) for c in page.items], next_cursor=page.next_cursor
        )

    def create_credential(
        self,
        *,
        name: str,
        kind: schemas.CredentialKindName,
        scopes: list[str] | None,
        token_format: schemas.TokenFormatName | None,
        token_ttl: int | None,
        description: str,
    ) -> schemas.CreatedCredential:
        created = self._s.credentials.create(
            self._actor,
            org_id=self._org_id(),
            name=name,
            kind=CredentialKind(kind),
            scopes=scopes,
            token_format=TokenFormat(token_format) if token_format is not None else TokenFormat.JWT,
            token_ttl=token_ttl,
            description=description,
        )
        return schemas.CreatedCredential(
            **_credential(created.credential).model_dump(), client_secret=created.client_secret
        )

    def regenerate_credential_secret(
        self, credential_id: str, *, grace_seconds: int
    ) -> schemas.CreatedCredential:
        created = self._s.credentials.regenerate(self._actor, credential_id, grace_seconds=grace_seconds)
        return schemas.CreatedCredential(
            **_credential(created.credential).model_dump(), client_secret=created.client_secret
        )

    def delete_credential(self, credential_id: str) -> schemas.DeletedCredential:
        deleted = self._s.credentials.delete(self._actor, credential_id)
        return schemas.DeletedCredential(id=deleted.id, deleted=True)


def _token(token: PersonalTokenRecord) -> schemas.PersonalToken:
    return schemas.PersonalToken(
        id=token.id,
        name=token.name,
        description=token.description,
        scopes=sorted(token.scopes),
        token_hint=token.token_hint,
        org_id=token.org_id,
        user_id=token.user_id,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def _credential(credential: Credential) -> schemas.Credential:
    return schemas.Credential(
        id=credential.id,
        client_id=credential.client_id,
        kind=credential.kind.value,
        name=credential.name,
        description=credential.description,
        org_id=credential.org_id,
        user_id=credential.user_id,
        scopes=sorted(credential.scopes),
        token_format=credential.token_format.value,
        token_ttl=credential.token_ttl,
        secret_hint=credential.secret_hint,
        created_at=credential.created_at,
        updated_at=credential.updated_at,
        last_used_at=credential.last_used_at,
        previous_secret_expires_at=credential.previous_secret_expires_at,
    )


# -- remote: another Tokensmith, over its management API ----------------------------------------------


class RemoteBackend:
    """The same operations over ``/api/…`` of a remote Tokensmith (which authorises and audits them)."""

    def __init__(self, client: ManagementClient) -> None:
        self._api = client

    def list_tokens(
        self, *, expiring_within_seconds: int | None, limit: int, cursor: str | None
    ) -> schemas.PersonalTokenList:
        page = self._api.list_tokens(expiring_within_seconds, limit=limit, cursor=cursor)
        return schemas.PersonalTokenList(
            items=[_remote_token(t) for t in page.items], next_cursor=page.next_cursor
        )

    def create_token(
        self,
        *,
        name: str,
        scopes: list[str],
        description: str,
        expires_in_days: int | None,
        expires_at: datetime | None,
    ) -> schemas.CreatedPersonalToken:
        created = self._api.create_token(
            name,
            scopes,
            description=description or None,
            expires_in_days=expires_in_days,
            expires_at=expires_at,
        )
        return schemas.CreatedPersonalToken(**_remote_token(created).model_dump(), token=created.token)

    def revoke_token(self, token_id: str) -> schemas.RevokedToken:
        self._api.revoke_token(token_id)
        return schemas.RevokedToken(id=token_id, revoked=True)

    def list_credentials(
        self, *, kind: schemas.CredentialKindName | None, limit: int, cursor: str | None
    ) -> schemas.CredentialList:
        page = self._api.list_credentials(kind, limit=limit, cursor=cursor)
        return schemas.CredentialList(
            items=[_remote_credential(c) for c in page.items], next_cursor=page.next_cursor
        )

    def create_credential(
        self,
        *,
        name: str,
        kind: schemas.CredentialKindName,
        scopes: list[str] | None,
        token_format: schemas.TokenFormatName | None,
        token_ttl: int | None,
        description: str,
    ) -> schemas.CreatedCredential:
        created = self._api.create_credential(
            name,
            kind,
            scopes=scopes,
            token_format=token_format,
            token_ttl=token_ttl,
            description=description or None,
        )
        return schemas.CreatedCredential(
            **_remote_credential(created).model_dump(), client_secret=created.client_secret
        )

    def regenerate_credential_secret(
        self, credential_id: str, *, grace_seconds: int
    ) -> schemas.CreatedCredential:
        created = self._api.regenerate_credential_secret(credential_id, grace_seconds=grace_seconds)
        return schemas.CreatedCredential(
            **_remote_credential(created).model_dump(), client_secret=created.client_secret
        )

    def delete_credential(self, credential_id: str) -> schemas.DeletedCredential:
        self._api.delete_credential(credential_id)
        return schemas.DeletedCredential(id=credential_id, deleted=True)


def _remote_token(token: remote.PersonalToken) -> schemas.PersonalToken:
    return schemas.PersonalToken(
        id=token.id,
        name=token.name,
        description=token.description,
        scopes=list(token.scopes),
        token_hint=token.token_hint,
        org_id=token.org_id,
        user_id=token.user_id,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def _remote_credential(credential: remote.Credential) -> schemas.Credential:
    return schemas.Credential.model_validate(
        {
            "id": credential.id,
            "client_id": credential.client_id,
            "kind": credential.kind,
            "name": credential.name,
            "description": credential.description,
            "org_id": credential.org_id,
            "user_id": credential.user_id,
            "scopes": list(credential.scopes),
            "token_format": credential.token_format,
            "token_ttl": credential.token_ttl,
            "secret_hint": credential.secret_hint,
            "created_at": credential.created_at,
            "updated_at": credential.updated_at,
            "last_used_at": credential.last_used_at,
            "previous_secret_expires_at": credential.previous_secret_expires_at,
        }
    )
