"""Typed clients for Tokensmith's management API (``/api/…``): personal tokens, credentials, webhooks.

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
from typing import Any, Concatenate, Final, Generic, ParamSpec, Self, TypeVar, overload
from urllib.parse import urlsplit

import httpx

import tokensmith
from tokensmith.client import operations as op
from tokensmith.client import webhook_operations as hooks
from tokensmith.client.errors import ResponseFormatError
from tokensmith.client.models import Page
from tokensmith.client.operations import Call
from tokensmith.client.owned_http import OwnsHttpClient

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A")
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


#: How a method sends: given the client and the method's arguments, what it returns.
_Send = Callable[["_Client[Any]", tuple[Any, ...], dict[str, Any]], Any]


class _Method(Generic[P, R, A]):
    """A client method made of one :mod:`~tokensmith.client.operations` function, named, documented and
    signed like it: it returns ``R`` on a :class:`ManagementClient` and ``A`` (an awaitable, or an async
    iterator) on an :class:`AsyncManagementClient`."""

    def __init__(self, operation: Callable[..., Any], send: _Send, *, without_cursor: bool = False) -> None:
        signature = inspect.signature(operation)
        self._signature = signature.replace(
            parameters=list(signature.parameters.values())[1 if without_cursor else 0 :],
            return_annotation=inspect.Signature.empty,
        )
        self._send = send
        self._name = operation.__name__
        self.__doc__ = operation.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: _Client[httpx.Client], owner: type[Any]) -> Callable[P, R]: ...
    @overload
    def __get__(self, client: _Client[httpx.AsyncClient], owner: type[Any]) -> Callable[P, A]: ...
    def __get__(self, client: _Client[Any] | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        send = self._send

        def method(*args: Any, **kwargs: Any) -> Any:
            return send(client, args, kwargs)

        method.__name__ = method.__qualname__ = self._name
        method.__doc__ = self.__doc__
        method.__signature__ = self._signature  # type: ignore[attr-defined]
        return method


def _operation(operation: Callable[P, Call[T]]) -> _Method[P, T, Coroutine[Any, Any, T]]:
    """The method that sends ``operation``'s call and reads the answer."""
    return _Method(operation, lambda client, args, kwargs: client._run(operation(*args, **kwargs)))


def _all_pages(
    operation: Callable[Concatenate[str | None, P], Call[Page[T]]],
) -> _Method[P, Iterator[T], AsyncIterator[T]]:
    """The method that yields every item of a list, sending ``operation`` for each page."""

    def send(client: _Client[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return client._pages(lambda cursor: client._run(operation(cursor, *args, **kwargs)))

    return _Method(operation, send, without_cursor=True)


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
        self._owns_http = http_client is None
        self._http: H = http_client or default(timeout=DEFAULT_TIMEOUT, headers={"User-Agent": _USER_AGENT})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, auth={self._auth!r})"

    def _request(self, call: Call[Any]) -> httpx.Request:
        return self._http.build_request(
            call.method, self._base_url + call.path, params=call.params, json=call.json, headers=_HEADERS
        )

    def _run(self, call: Call[Any]) -> Any:
        """Send ``call`` and read its answer (or, on the async client, a coroutine that does)."""
        raise NotImplementedError

    def _pages(self, list_page: Callable[[str | None], Any]) -> Any:
        """Every item of the pages ``list_page`` fetches (an iterator, or an async one)."""
        raise NotImplementedError

    me = _operation(op.me)
    # -- personal access tokens ---------------------------------------------------------------------
    list_tokens = _operation(op.list_tokens)
    iter_tokens = _all_pages(op.token_pages)
    create_token = _operation(op.create_token)
    get_token = _operation(op.get_token)
    update_token = _operation(op.update_token)
    regenerate_token = _operation(op.regenerate_token)
    revoke_token = _operation(op.revoke_token)
    # -- credentials --------------------------------------------------------------------------------
    list_credentials = _operation(op.list_credentials)
    iter_credentials = _all_pages(op.credential_pages)
    create_credential = _operation(op.create_credential)
    get_credential = _operation(op.get_credential)
    rename_credential = _operation(op.rename_credential)
    update_credential = _operation(op.update_credential)
    regenerate_credential_secret = _operation(op.regenerate_credential_secret)
    delete_credential = _operation(op.delete_credential)
    add_credential_key = _operation(op.add_credential_key)
    remove_credential_key = _operation(op.remove_credential_key)
    replace_credential_keys = _operation(op.replace_credential_keys)
    # -- resources (RFC 8707) -----------------------------------------------------------------------
    list_resources = _operation(op.list_resources)
    get_resource = _operation(op.get_resource)
    create_resource = _operation(op.create_resource)
    delete_resource = _operation(op.delete_resource)
    # -- webhooks (an organisation's; owners and admins) --------------------------------------------
    list_webhook_event_types = _operation(hooks.list_webhook_event_types)
    list_webhooks = _operation(hooks.list_webhooks)
    create_webhook = _operation(hooks.create_webhook)
    get_webhook = _operation(hooks.get_webhook)
    update_webhook = _operation(hooks.update_webhook)
    delete_webhook = _operation(hooks.delete_webhook)
    list_webhook_deliveries = _operation(hooks.list_webhook_deliveries)
    replay_webhook_delivery = _operation(hooks.replay_webhook_delivery)
    # -- authorized apps (the authorization code flow) ----------------------------------------------
    list_authorized_apps = _operation(op.list_authorized_apps)
    revoke_authorized_app = _operation(op.revoke_authorized_app)


class ManagementClient(_Client[httpx.Client], OwnsHttpClient):
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

    _pages = staticmethod(_every)


class AsyncManagementClient(_Client[httpx.AsyncClient]):
    """The management API over an ``httpx.AsyncClient``; the same methods as :class:`ManagementClient`."""

    def __init__(
        self, base_url: str, auth: httpx.Auth, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(base_url, auth, http_client, httpx.AsyncClient)

    async def _run(self, call: Call[T]) -> T:
        return call.result(await self._http.send(self._request(call), auth=self._auth))

    _pages = staticmethod(_every_async)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncManagementClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
