"""``ClientCredentialsAuth``: call an API with a token from the client credentials grant (RFC 6749 §4.4).

An ``httpx.Auth`` for both ``httpx.Client`` and ``httpx.AsyncClient``::

    auth = ClientCredentialsAuth(
        client_id, client_secret, issuer="https://auth.example.com", scope="api/access"
    )
    with httpx.Client(auth=auth) as client:
        client.get("https://api.example.com/projects")

What it does, in the order a request meets it:

1. **Cache.** The token is kept and reused until ``renew_margin`` seconds before it expires (or half its
   lifetime, whichever is less), then renewed *before* the API sees an expired token.
2. **One fetch at a time.** However many requests find the cache empty, they queue on one lock
   (``threading.Lock`` for ``Client``, ``anyio.Lock`` for ``AsyncClient``), re-check the cache once
   inside it, and only the first fetches. When that fetch fails, the requests that were waiting for it
   get the same error instead of hammering the token endpoint one after another.
3. **Discovery.** Without ``token_url``, the token endpoint is read once from the issuer's RFC 8414
   metadata.
4. **Polite retries.** ``429`` and ``5xx`` from the token endpoint are retried with exponential backoff
   and jitter, honouring ``Retry-After`` (see :mod:`tokensmith.client.retry`). Any other error raises
   :class:`~tokensmith.client.errors.TokenRequestError` with the RFC 6749 §5.2 code.
5. **401 from the API** (RFC 6750 §3.1 — the token was revoked or its key rotated): the token is renewed
   once and the request is sent once more; a second 401 is returned to the caller as it is.
6. **DPoP** (``dpop=True`` or a :class:`~tokensmith.client.dpop.DPoPKey`, RFC 9449): every token request
   and every API request carries a fresh proof signed by the key (one key per process by default, never
   leaving it); the token comes back bound to it (``token_type: DPoP``) and is sent as
   ``Authorization: DPoP <token>`` with a proof naming the request and the token (``ath``). A server
   nonce challenge (§8: 400 ``use_dpop_nonce`` at the token endpoint, §9: 401 with ``DPoP-Nonce`` at
   the API) is answered once with a proof carrying the nonce; nonces are remembered per origin.

The token and discovery requests are yielded through the caller's own client (httpx's auth flow
design), so they use its transport, proxies and TLS settings. The logic is one sans-I/O generator
(:meth:`ClientCredentialsAuth._flow`); :mod:`tokensmith.client.flow` runs it blocking or awaiting.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable

import anyio
import httpx

from tokensmith.client.discovery import ServerMetadata, metadata_request, metadata_urls, parse_metadata
from tokensmith.client.dpop import DPoPKey, process_key
from tokensmith.client.errors import DiscoveryError, TokenRequestError
from tokensmith.client.flow import Flow, LockStep, drive_async, drive_sync, exchange
from tokensmith.client.retry import Backoff, send_with_retries
from tokensmith.client.secret import Secret
from tokensmith.client.token_endpoint import (
    AUTH_METHODS,
    AccessToken,
    AuthMethod,
    parse_token_response,
    token_request,
)


class ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens (RFC 6750 §2.1) from the client credentials grant (RFC 6749 §4.4), cached and renewed.

    :param client_id: the credential's public client ID.
    :param client_secret: its secret; kept out of every ``repr``, log line and exception.
    :param token_url: the token endpoint; or give ``issuer`` to discover it (RFC 8414).
    :param issuer: the authorization server's issuer URL, used when ``token_url`` is not given.
    :param scope: the scopes to request (a space-delimited string or an iterable), RFC 6749 §3.3.
    :param auth_method: ``client_secret_basic`` (HTTP Basic, default) or ``client_secret_post``
        (credentials in the form body), RFC 6749 §2.3.1.
    :param renew_margin: renew the token this many seconds before it expires.
    :param max_retries: retries after the first attempt for ``429``/``5xx`` from the token endpoint.
    :param backoff: the wait between retries (:class:`~tokensmith.client.retry.Backoff`).
    :param dpop: ``True`` for DPoP-bound tokens (RFC 9449) with this process's key, or the
        :class:`~tokensmith.client.dpop.DPoPKey` to use; ``False`` (default) for Bearer tokens.
    :param clock: current time in epoch seconds (injectable for tests).
    :param sleep: blocking sleep used under ``httpx.Client`` (injectable for tests).
    :param async_sleep: awaitable sleep used under ``httpx.AsyncClient`` (injectable for tests).
    """

    requires_request_body = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        issuer: str | None = None,
        scope: str | Iterable[str] | None = None,
        auth_method: AuthMethod = "client_secret_basic",
        renew_margin: float = 60.0,
        max_retries: int = 3,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        dpop: bool | DPoPKey = False,
    ) -> None:
        if not client_id:
            raise ValueError("client_id is required")
        if token_url is None and issuer is None:
            raise ValueError("give token_url, or issuer to discover it")
        if auth_method not in AUTH_METHODS:
            raise ValueError(f"auth_method must be one of {', '.join(AUTH_METHODS)}")
        if renew_margin < 0 or max_retries < 0:
            raise ValueError("renew_margin and max_retries must not be negative")
        self._client_id = client_id
        self._client_secret = Secret(client_secret)
        self._token_url = token_url
        self._issuer = issuer
        self._metadata_urls = metadata_urls(issuer) if token_url is None and issuer is not None else []
        self._scope = scope if scope is None or isinstance(scope, str) else " ".join(scope)
        self._auth_method: AuthMethod = auth_method
        self._renew_margin = renew_margin
        self._max_retries = max_retries
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._thread_lock = threading.Lock()
        self._async_lock = anyio.Lock()
        self._token: AccessToken | None = None
        # Fetches finished so far, and how the last one failed (shared with the requests that waited for it).
        self._generation = 0
        self._failure: TokenRequestError | DiscoveryError | None = None
        self._dpop_key: DPoPKey | None = process_key() if dpop is True else dpop or None
        #: The last ``DPoP-Nonce`` each origin sent (RFC 9449 §8, §9).
        self._nonces: dict[str, str] = {}

    @property
    def dpop_key(self) -> DPoPKey | None:
        """The key DPoP proofs are signed with (``None`` without DPoP)."""
        return self._dpop_key

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_id={self._client_id!r}, token_url={self._token_url!r}, "
            f"issuer={self._issuer!r}, scope={self._scope!r}, auth_method={self._auth_method!r})"
        )

    # -- httpx.Auth -----------------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        return drive_sync(request, self._flow, lock=self._thread_lock, sleep=self._sleep)

    def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        return drive_async(request, self._flow, lock=self._async_lock, sleep=self._async_sleep)

    # -- the shared, sans-I/O flow --------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> Flow[None]:
        token = yield from self._usable_token(stale=None)
        response = yield from exchange(self._authorize(request, token), read_body=False)
        if response.status_code != 401:
            self._remember_nonce(request.url, response)
            return
        if token.token_type == "DPoP" and self._nonce_challenge(request.url, response, at_resource=True):
            # RFC 9449 §9: the API wants a nonce in the proof; the token is fine, send once more.
            response = yield from exchange(self._authorize(request, token), read_body=False)
            if response.status_code != 401:
                return
        # RFC 6750 §3.1 invalid_token: renew once (unless another request already has) and retry once.
        token = yield from self._usable_token(stale=token)
        yield from exchange(self._authorize(request, token), read_body=False)

    @staticmethod
    def _origin(url: httpx.URL) -> str:
        return f"{url.scheme}://{url.netloc.decode('ascii')}"

    def _remember_nonce(self, url: httpx.URL, response: httpx.Response) -> str | None:
        nonce = response.headers.get("DPoP-Nonce") if self._dpop_key is not None else None
        if nonce:
            self._nonces[self._origin(url)] = nonce
        return nonce

    def _nonce_challenge(self, url: httpx.URL, response: httpx.Response, *, at_resource: bool) -> bool:
        """Whether ``response`` asks for a (new) DPoP nonce (RFC 9449 §8.1, §9.1), now remembered."""
        previous = self._nonces.get(self._origin(url))
        nonce = self._remember_nonce(url, response)
        if not nonce or nonce == previous and not at_resource:
            return False
        if at_resource:
            return 'error="use_dpop_nonce"' in response.headers.get("WWW-Authenticate", "")
        return b"use_dpop_nonce" in response.content

    def _cached(self, stale: AccessToken | None) -> AccessToken | None:
        token = self._token
        if token is None or token is stale or not token.is_fresh(self._clock(), self._renew_margin):
            return None
        return token

    def _usable_token(self, stale: AccessToken | None) -> Flow[AccessToken]:
        """The cached token if still fresh (and not ``stale``), else one fetched under the lock."""
        token = self._cached(stale)
        if token is not None:
            return token
        generation = self._generation
        yield LockStep.ACQUIRE
        token = self._cached(stale)  # double-checked: a request ahead of us may have renewed it
        if token is None:
            if self._generation != generation and self._failure is not None:
                raise self._failure.copy()
            try:
                token = yield from self._fetch()
            except (TokenRequestError, DiscoveryError) as exc:
                self._failure = exc.copy()  # a copy: no traceback (and its frames) kept alive
                raise
            except BaseException:
                self._failure = None
                raise
            else:
                self._failure = None
            finally:
                self._generation += 1
        yield LockStep.RELEASE
        return token

    def _fetch(self) -> Flow[AccessToken]:
        """Discover the token endpoint if needed, then run the RFC 6749 §4.4.2 request."""
        token_url = self._token_url
        if token_url is None:
            metadata = yield from self._discover()
            token_url = self._token_url = metadata.token_endpoint
        sent_at = self._clock()

        def make_request() -> httpx.Request:
            nonlocal sent_at
            sent_at = self._clock()
            proof = None
            if self._dpop_key is not None:
                nonce = self._nonces.get(self._origin(httpx.URL(token_url)))
                proof = self._dpop_key.proof("POST", token_url, nonce=nonce, now=sent_at)
            return self._token_request(token_url, proof)

        response = yield from send_with_retries(
            make_request, max_retries=self._max_retries, backoff=self._backoff, clock=self._clock
        )
        if (
            self._dpop_key is not None
            and response.status_code == 400
            and self._nonce_challenge(httpx.URL(token_url), response, at_resource=False)
        ):
            # RFC 9449 §8: the token endpoint wants its nonce in the proof; once more, with it.
            response = yield from send_with_retries(
                make_request, max_retries=self._max_retries, backoff=self._backoff, clock=self._clock
            )
        if response.status_code == 200:
            self._remember_nonce(httpx.URL(token_url), response)
        token = parse_token_response(response, obtained_at=sent_at, dpop=self._dpop_key is not None)
        self._token = token
        return token

    def _token_request(self, token_url: str, dpop_proof: str | None) -> httpx.Request:
        """The RFC 6749 §4.4.2 request, authenticated as the client (built anew for each attempt),
        with the ``DPoP`` proof header (RFC 9449 §5) when there is one."""
        return token_request(
            token_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=self._scope,
            auth_method=self._auth_method,
            dpop_proof=dpop_proof,
        )

    def _discover(self) -> Flow[ServerMetadata]:
        """Fetch the RFC 8414 metadata, trying each well-known location in turn on a 404."""
        assert self._issuer is not None
        last = len(self._metadata_urls) - 1
        for index, url in enumerate(self._metadata_urls):
            response = yield from send_with_retries(
                functools.partial(metadata_request, url),
                max_retries=self._max_retries,
                backoff=self._backoff,
                clock=self._clock,
            )
            if response.status_code == 404 and index < last:
                continue
            return parse_metadata(response, issuer=self._issuer)
        raise DiscoveryError("no metadata location to try")  # pragma: no cover - metadata_urls is never empty

    def _authorize(self, request: httpx.Request, token: AccessToken) -> httpx.Request:
        value = token.value.reveal()
        if token.token_type == "DPoP" and self._dpop_key is not None:
            # RFC 9449 §7.1: the DPoP scheme, and a fresh proof for this request and this token.
            request.headers["Authorization"] = f"DPoP {value}"
            request.headers["DPoP"] = self._dpop_key.proof(
                request.method,
                str(request.url),
                access_token=value,
                nonce=self._nonces.get(self._origin(request.url)),
                now=self._clock(),
            )
        else:
            request.headers["Authorization"] = f"Bearer {value}"
            request.headers.pop("DPoP", None)
        return request
