"""Typed clients for Tokensmith's management API (``/api/…``): personal access tokens and credentials.

::

    with ManagementClient("https://tokensmith.example.com", PersonalTokenAuth(token)) as api:
        created = api.create_token("ci", ["api/access"], expires_in_days=30)
        print(created.token)  # shown once

:class:`ManagementClient` blocks, :class:`AsyncManagementClient` awaits; both send the same
:class:`~tokensmith.client.operations.Call` objects, so what goes on the wire and how the answer is read
is defined once, in :mod:`tokensmith.client.operations`. Each method below is only the typed signature.
Errors are :class:`~tokensmith.client.errors.ApiError` subclasses carrying the RFC 9457 ``code``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from types import TracebackType
from typing import Final, TypeVar
from urllib.parse import urlsplit

import httpx

import tokensmith
from tokensmith.client import operations as op
from tokensmith.client.errors import ResponseFormatError
from tokensmith.client.models import (
    CreatedCredential,
    CreatedPersonalToken,
    Credential,
    Me,
    Page,
    PersonalToken,
)
from tokensmith.client.operations import Call, CredentialKind, TokenFormat

T = TypeVar("T")

_HEADERS: Final = {"Accept": "application/json"}
_USER_AGENT: Final = f"tokensmith-client/{tokensmith.__version__}"
DEFAULT_TIMEOUT: Final = 10.0


def _base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("base_url must be an http(s) URL, the server's root (without /api)")
    return base_url.rstrip("/")


def _next_cursor(page: Page[T], cursor: str | None) -> str | None:
    if page.next_cursor is not None and page.next_cursor == cursor:
        raise ResponseFormatError("the server returned the same cursor twice")
    return page.next_cursor


class ManagementClient:
    """The management API over a blocking ``httpx.Client``.

    :param base_url: the Tokensmith server's root URL (the API is under ``{base_url}/api/``).
    :param auth: how to authenticate, usually :class:`~tokensmith.client.PersonalTokenAuth`.
    :param http_client: a client to use (and not close); by default one is made and closed by
        :meth:`close` or the ``with`` block.
    """

    def __init__(self, base_url: str, auth: httpx.Auth, *, http_client: httpx.Client | None = None) -> None:
        self._base_url = _base_url(base_url)
        self._auth = auth
        self._owns_client = http_client is None
        self._http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT, headers={"User-Agent": _USER_AGENT})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, auth={self._auth!r})"

    def _run(self, call: Call[T]) -> T:
        response = self._http.request(
            call.method,
            self._base_url + call.path,
            params=call.params,
            json=call.json,
            headers=_HEADERS,
            auth=self._auth,
        )
        return call.result(response)

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> ManagementClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def me(self) -> Me:
        """``GET /api/me``: the caller, the organisation acted in, and the scopes it holds."""
        return self._run(op.me())

    # -- personal access tokens ---------------------------------------------------------------------

    def list_tokens(
        self,
        expiring_within: float | timedelta | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[PersonalToken]:
        """``GET /api/tokens``: one page; ``expiring_within`` (seconds) keeps those expiring soon."""
        return self._run(op.list_tokens(expiring_within, limit=limit, cursor=cursor))

    def iter_tokens(
        self, expiring_within: float | timedelta | None = None, *, page_size: int | None = None
    ) -> Iterator[PersonalToken]:
        """Every personal token, following ``next_cursor`` page after page."""
        cursor: str | None = None
        while True:
            page = self.list_tokens(expiring_within, limit=page_size, cursor=cursor)
            yield from page.items
            cursor = _next_cursor(page, cursor)
            if cursor is None:
                return

    def create_token(
        self,
        name: str,
        scopes: list[str] | tuple[str, ...],
        description: str | None = None,
        expires_in_days: int | None = None,
        *,
        expires_at: datetime | None = None,
    ) -> CreatedPersonalToken:
        """``POST /api/tokens``: the result's ``token`` is shown this once."""
        return self._run(
            op.create_token(
                name, scopes, description=description, expires_in_days=expires_in_days, expires_at=expires_at
            )
        )

    def get_token(self, token_id: str) -> PersonalToken:
        """``GET /api/tokens/{id}``."""
        return self._run(op.get_token(token_id))

    def update_token(
        self, token_id: str, name: str | None = None, description: str | None = None
    ) -> PersonalToken:
        """``PATCH /api/tokens/{id}``: name and description only (scopes and expiry are immutable)."""
        return self._run(op.update_token(token_id, name=name, description=description))

    def regenerate_token(self, token_id: str) -> CreatedPersonalToken:
        """``POST /api/tokens/{id}/regenerate``: a new ``token`` value (shown once); the old one dies now."""
        return self._run(op.regenerate_token(token_id))

    def revoke_token(self, token_id: str) -> None:
        """``DELETE /api/tokens/{id}``: immediate and irreversible."""
        self._run(op.revoke_token(token_id))

    # -- credentials --------------------------------------------------------------------------------

    def list_credentials(
        self, kind: CredentialKind | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Credential]:
        """``GET /api/credentials``: one page, optionally only ``personal`` or ``organization`` ones."""
        return self._run(op.list_credentials(kind, limit=limit, cursor=cursor))

    def iter_credentials(
        self, kind: CredentialKind | None = None, *, page_size: int | None = None
    ) -> Iterator[Credential]:
        """Every credential, following ``next_cursor`` page after page."""
        cursor: str | None = None
        while True:
            page = self.list_credentials(kind, limit=page_size, cursor=cursor)
            yield from page.items
            cursor = _next_cursor(page, cursor)
            if cursor is None:
                return

    def create_credential(
        self,
        name: str,
        kind: CredentialKind,
        scopes: list[str] | tuple[str, ...] | None = None,
        token_format: TokenFormat | None = None,
        token_ttl: int | None = None,
        description: str | None = None,
    ) -> CreatedCredential:
        """``POST /api/credentials``: the result's ``client_secret`` is shown this once."""
        return self._run(
            op.create_credential(
                name,
                kind,
                scopes=scopes,
                token_format=token_format,
                token_ttl=token_ttl,
                description=description,
            )
        )

    def get_credential(self, credential_id: str) -> Credential:
        """``GET /api/credentials/{id}``: ``credential_id`` may be the id or the client ID."""
        return self._run(op.get_credential(credential_id))

    def rename_credential(self, credential_id: str, name: str, description: str | None = None) -> Credential:
        """``PATCH /api/credentials/{id}``."""
        return self._run(op.rename_credential(credential_id, name, description=description))

    def regenerate_credential_secret(
        self, credential_id: str, grace_seconds: int | None = None
    ) -> CreatedCredential:
        """``POST /api/credentials/{id}/regenerate``: the old secret dies now, or after ``grace_seconds``."""
        return self._run(op.regenerate_credential_secret(credential_id, grace_seconds=grace_seconds))

    def delete_credential(self, credential_id: str) -> None:
        """``DELETE /api/credentials/{id}``."""
        self._run(op.delete_credential(credential_id))


class AsyncManagementClient:
    """The management API over an ``httpx.AsyncClient``; the same methods as :class:`ManagementClient`."""

    def __init__(
        self, base_url: str, auth: httpx.Auth, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self._base_url = _base_url(base_url)
        self._auth = auth
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT, headers={"User-Agent": _USER_AGENT}
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, auth={self._auth!r})"

    async def _run(self, call: Call[T]) -> T:
        response = await self._http.request(
            call.method,
            self._base_url + call.path,
            params=call.params,
            json=call.json,
            headers=_HEADERS,
            auth=self._auth,
        )
        return call.result(response)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncManagementClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def me(self) -> Me:
        return await self._run(op.me())

    async def list_tokens(
        self,
        expiring_within: float | timedelta | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[PersonalToken]:
        return await self._run(op.list_tokens(expiring_within, limit=limit, cursor=cursor))

    async def iter_tokens(
        self, expiring_within: float | timedelta | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[PersonalToken]:
        cursor: str | None = None
        while True:
            page = await self.list_tokens(expiring_within, limit=page_size, cursor=cursor)
            for item in page.items:
                yield item
            cursor = _next_cursor(page, cursor)
            if cursor is None:
                return

    async def create_token(
        self,
        name: str,
        scopes: list[str] | tuple[str, ...],
        description: str | None = None,
        expires_in_days: int | None = None,
        *,
        expires_at: datetime | None = None,
    ) -> CreatedPersonalToken:
        return await self._run(
            op.create_token(
                name, scopes, description=description, expires_in_days=expires_in_days, expires_at=expires_at
            )
        )

    async def get_token(self, token_id: str) -> PersonalToken:
        return await self._run(op.get_token(token_id))

    async def update_token(
        self, token_id: str, name: str | None = None, description: str | None = None
    ) -> PersonalToken:
        return await self._run(op.update_token(token_id, name=name, description=description))

    async def regenerate_token(self, token_id: str) -> CreatedPersonalToken:
        return await self._run(op.regenerate_token(token_id))

    async def revoke_token(self, token_id: str) -> None:
        await self._run(op.revoke_token(token_id))

    async def list_credentials(
        self, kind: CredentialKind | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Credential]:
        return await self._run(op.list_credentials(kind, limit=limit, cursor=cursor))

    async def iter_credentials(
        self, kind: CredentialKind | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[Credential]:
        cursor: str | None = None
        while True:
            page = await self.list_credentials(kind, limit=page_size, cursor=cursor)
            for item in page.items:
                yield item
            cursor = _next_cursor(page, cursor)
            if cursor is None:
                return

    async def create_credential(
        self,
        name: str,
        kind: CredentialKind,
        scopes: list[str] | tuple[str, ...] | None = None,
        token_format: TokenFormat | None = None,
        token_ttl: int | None = None,
        description: str | None = None,
    ) -> CreatedCredential:
        return await self._run(
            op.create_credential(
                name,
                kind,
                scopes=scopes,
                token_format=token_format,
                token_ttl=token_ttl,
                description=description,
            )
        )

    async def get_credential(self, credential_id: str) -> Credential:
        return await self._run(op.get_credential(credential_id))

    async def rename_credential(
        self, credential_id: str, name: str, description: str | None = None
    ) -> Credential:
        return await self._run(op.rename_credential(credential_id, name, description=description))

    async def regenerate_credential_secret(
        self, credential_id: str, grace_seconds: int | None = None
    ) -> CreatedCredential:
        return await self._run(op.regenerate_credential_secret(credential_id, grace_seconds=grace_seconds))

    async def delete_credential(self, credential_id: str) -> None:
        await self._run(op.delete_credential(credential_id))
