"""Typed clients for Tokensmith's management API (``/api/…``): personal access tokens and credentials.

::

    with ManagementClient("https://tokensmith.example.com", PersonalTokenAuth(token)) as api:
        created = api.create_token("ci", ["api/access"], expires_in_days=30)
        print(created.token)  # shown once

:class:`ManagementClient` blocks, :class:`AsyncManagementClient` awaits. Each of their methods is one
function of :mod:`tokensmith.client.operations` (which builds the request and reads the answer, sans
I/O), sent by the client it is bound to: its signature and documentation are the operation's, so what
goes on the wire and how the answer is read are defined once, for both.
Errors are :class:`~tokensmith.client.errors.ApiError` subclasses carrying the RFC 9457 ``code``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from datetime import timedelta
from types import TracebackType
from typing import Any, Concatenate, Final, Generic, ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx

import tokensmith
from tokensmith.client import operations as op
from tokensmith.client.errors import ResponseFormatError
from tokensmith.client.models import Credential, Page, PersonalToken
from tokensmith.client.operations import Call, CredentialKind

T = TypeVar("T")
P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])
H = TypeVar("H", httpx.Client, httpx.AsyncClient)

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


def _as_method(method: F, operation: Callable[..., Any]) -> F:
    """``method`` under the operation's name, documentation and signature (``self`` first)."""
    signature = inspect.signature(operation)
    this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__name__ = method.__qualname__ = operation.__name__
    method.__doc__ = operation.__doc__
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[this, *signature.parameters.values()], return_annotation=inspect.Signature.empty
    )
    return method


def _blocking(operation: Callable[P, Call[T]]) -> Callable[Concatenate[ManagementClient, P], T]:
    def method(self: ManagementClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(operation(*args, **kwargs))

    return _as_method(method, operation)


def _awaiting(
    operation: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncManagementClient, P], Coroutine[Any, Any, T]]:
    async def method(self: AsyncManagementClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(operation(*args, **kwargs))

    return _as_method(method, operation)


def _every(list_page: Callable[[str | None], Page[T]]) -> Iterator[T]:
    cursor: str | None = None
    while True:
        page = list_page(cursor)
        yield from page.items
        cursor = _next_cursor(page, cursor)
        if cursor is None:
            return


async def _every_async(list_page: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    cursor: str | None = None
    while True:
        page = await list_page(cursor)
        for item in page.items:
            yield item
        cursor = _next_cursor(page, cursor)
        if cursor is None:
            return


class _Client(Generic[H]):
    """What both clients hold: the server's root URL, how to authenticate, and the HTTP client."""

    def __init__(self, base_url: str, auth: httpx.Auth, http_client: H | None, default: type[H]) -> None:
        self._base_url = _base_url(base_url)
        self._auth = auth
        self._owns_client = http_client is None
        self._http: H = http_client or default(timeout=DEFAULT_TIMEOUT, headers={"User-Agent": _USER_AGENT})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, auth={self._auth!r})"

    def _request(self, call: Call[Any]) -> httpx.Request:
        return self._http.build_request(
            call.method, self._base_url + call.path, params=call.params, json=call.json, headers=_HEADERS
        )


class ManagementClient(_Client[httpx.Client]):
    """The management API over a blocking ``httpx.Client``.

    :param base_url: the Tokensmith server's root URL (the API is under ``{base_url}/api/``).
    :param auth: how to authenticate, usually :class:`~tokensmith.client.PersonalTokenAuth`.
    :param http_client: a client to use (and not close); by default one is made and closed by
        :meth:`close` or the ``with`` block.
    """

    def __init__(self, base_url: str, auth: httpx.Auth, *, http_client: httpx.Client | None = None) -> None:
        super().__init__(base_url, auth, http_client, httpx.Client)

    def _run(self, call: Call[T]) -> T:
        return call.result(self._http.send(self._request(call), auth=self._auth))

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> ManagementClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    me = _blocking(op.me)
    list_tokens = _blocking(op.list_tokens)
    create_token = _blocking(op.create_token)
    get_token = _blocking(op.get_token)
    update_token = _blocking(op.update_token)
    revoke_token = _blocking(op.revoke_token)
    list_credentials = _blocking(op.list_credentials)
    create_credential = _blocking(op.create_credential)
    get_credential = _blocking(op.get_credential)
    rename_credential = _blocking(op.rename_credential)
    regenerate_credential_secret = _blocking(op.regenerate_credential_secret)
    delete_credential = _blocking(op.delete_credential)

    def iter_tokens(
        self, expiring_within: float | timedelta | None = None, *, page_size: int | None = None
    ) -> Iterator[PersonalToken]:
        """Every personal token, following ``next_cursor`` page after page."""
        return _every(lambda cursor: self.list_tokens(expiring_within, limit=page_size, cursor=cursor))

    def iter_credentials(
        self, kind: CredentialKind | None = None, *, page_size: int | None = None
    ) -> Iterator[Credential]:
        """Every credential, following ``next_cursor`` page after page."""
        return _every(lambda cursor: self.list_credentials(kind, limit=page_size, cursor=cursor))


class AsyncManagementClient(_Client[httpx.AsyncClient]):
    """The management API over an ``httpx.AsyncClient``; the same methods as :class:`ManagementClient`."""

    def __init__(
        self, base_url: str, auth: httpx.Auth, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(base_url, auth, http_client, httpx.AsyncClient)

    async def _run(self, call: Call[T]) -> T:
        return call.result(await self._http.send(self._request(call), auth=self._auth))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncManagementClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    me = _awaiting(op.me)
    list_tokens = _awaiting(op.list_tokens)
    create_token = _awaiting(op.create_token)
    get_token = _awaiting(op.get_token)
    update_token = _awaiting(op.update_token)
    revoke_token = _awaiting(op.revoke_token)
    list_credentials = _awaiting(op.list_credentials)
    create_credential = _awaiting(op.create_credential)
    get_credential = _awaiting(op.get_credential)
    rename_credential = _awaiting(op.rename_credential)
    regenerate_credential_secret = _awaiting(op.regenerate_credential_secret)
    delete_credential = _awaiting(op.delete_credential)

    def iter_tokens(
        self, expiring_within: float | timedelta | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[PersonalToken]:
        """Every personal token, following ``next_cursor`` page after page."""
        return _every_async(lambda cursor: self.list_tokens(expiring_within, limit=page_size, cursor=cursor))

    def iter_credentials(
        self, kind: CredentialKind | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[Credential]:
        """Every credential, following ``next_cursor`` page after page."""
        return _every_async(lambda cursor: self.list_credentials(kind, limit=page_size, cursor=cursor))
