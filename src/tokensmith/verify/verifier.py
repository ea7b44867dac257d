"""The resource server's access-token verifier.

One verification is a sans-I/O flow (:mod:`tokensmith.verify.flow`) run by :meth:`Verifier.verify`
with an :class:`httpx.Client` or by :meth:`Verifier.averify` with an :class:`httpx.AsyncClient`:

1. size and RFC 6750 §2.1 ``b64token`` syntax, before any parsing;
2. the verification cache (keyed by SHA-256 of the token; an entry never outlives the token's ``exp``);
3. tokens with an introspection prefix (personal ``tsp_``, opaque ``tsa_``) → RFC 7662 introspection,
   cached for at most ``introspection_cache_seconds``;
4. JWTs → RFC 9068 §4: header (:mod:`.header`), key by ``kid`` from the issuer's JWKS (:mod:`.keyset`),
   signature (:mod:`.jws`), claims (:mod:`.claims`); with ``strict=True`` also introspected on
   every use (never from a cache), so a revoked JWT is refused at once, at the cost of a round trip;
5. the sender constraint (RFC 9449 §7): a DPoP-bound token (``cnf.jkt``) passes only with a
   :class:`DPoPPresentation` whose proof checks out (:func:`tokensmith.verify.dpop.check_proof`:
   ``htm``, ``htu``, ``iat``, ``ath``), is not a replay and is signed by the bound key; a bound
   token presented as ``Bearer`` and an unbound one presented as ``DPoP`` are refused. This runs
   on every use, after the cache.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Self

import httpx

from tokensmith.token_format import is_well_formed
from tokensmith.verify import jws
from tokensmith.verify.cache import ExpiringLRUCache
from tokensmith.verify.claims import DEFAULT_LEEWAY, parse_payload, principal_from_claims, validate_claims
from tokensmith.verify.dpop import DPOP_ALGORITHMS, DPoPProofError, check_proof
from tokensmith.verify.dpop_replay import ProofReplayCache, ReplayGuard
from tokensmith.verify.errors import (
    InsufficientScopeError,
    InvalidDPoPProofError,
    InvalidTokenError,
    VerifierUnavailableError,
)
from tokensmith.verify.flow import Flow, run_async, run_sync
from tokensmith.verify.header import ASYMMETRIC_ALGORITHMS, check_header
from tokensmith.verify.introspection import introspection_request, principal_from_introspection
from tokensmith.verify.keyset import RemoteKeySet
from tokensmith.verify.principal import Principal

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_INTROSPECTION_PREFIXES",
    "MAX_TOKEN_LENGTH",
    "DPoPPresentation",
    "Verifier",
]

DEFAULT_ALGORITHMS = ("ES256", "EdDSA", "RS256")
DEFAULT_INTROSPECTION_PREFIXES = ("tsp_", "tsa_")
#: Tokens longer than this are refused before any decoding (Tokensmith's are well under 2 KB).
MAX_TOKEN_LENGTH = 8192
#: Outbound requests are short: a slow issuer must not stall the resource server.
DEFAULT_TIMEOUT = httpx.Timeout(5.0)

# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class DPoPPresentation:
    """A token presented as ``Authorization: DPoP <token>`` (RFC 9449 §7.1): the request's
    ``DPoP`` header values (exactly one is accepted), its method, and its URL as the client
    addressed it (behind a proxy: the public URL, not the one the app sees)."""

    proofs: tuple[str, ...]
    method: str
    url: str


class Verifier:
    """Verifies Tokensmith access tokens for one resource server.

    ``audience`` is the resource this server is (RFC 8707: the ``resource`` clients ask tokens for,
    which Tokensmith puts in ``aud``): a token issued for any other resource is refused with
    :class:`InvalidTokenError`, as RFC 9068 §4 requires. A resource server that answers for several
    resources (say its platform-API identifier and its own resource URI while clients move over)
    passes them all; a token naming any one of them is accepted. :attr:`Principal.audience` tells
    which the token named.

    ``clock`` returns seconds since the epoch; every expiry, leeway, cache and cooldown decision
    reads it. ``unknown_kid_cooldown`` is also the pause after a *failed* discovery or JWKS fetch:
    within it, checks fail fast with :class:`VerifierUnavailableError` and send nothing. Tokens
    with an ``introspection_prefixes`` prefix must pass the local format and checksum check
    (:mod:`tokensmith.token_format`) before they are sent to introspection.

    Pass ``http_client``/``async_http_client`` to control transports (tests use
    :class:`httpx.MockTransport`); otherwise clients with a 5 s timeout are made on first use and
    closed by :meth:`close`/:meth:`aclose`.
    """

    def __init__(
        self,
        issuer: str,
        audience: str | Collection[str],
        *,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        leeway: float = DEFAULT_LEEWAY,
        introspection_client_id: str | None = None,
        introspection_client_secret: str | None = None,
        introspection_prefixes: Iterable[str] = DEFAULT_INTROSPECTION_PREFIXES,
        strict: bool = False,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        jwks_cache_seconds: float = 300,
        unknown_kid_cooldown: float = 30,
        introspection_cache_seconds: float = 10,
        cache_size: int = 10_000,
        introspection_cache_size: int = 10_000,
        max_token_length: int = MAX_TOKEN_LENGTH,
        clock: Callable[[], float] = time.time,
        dpop_algorithms: Collection[str] = DPOP_ALGORITHMS,
        dpop_max_age: int = 60,
        dpop_replay: ReplayGuard | None = None,
    ) -> None:
        unsafe = set(algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe or not algorithms:
            raise ValueError(f"Only asymmetric signature algorithms may be accepted, not {sorted(unsafe)}.")
        if (introspection_client_id is None) != (introspection_client_secret is None):
            raise ValueError("Give both introspection_client_id and introspection_client_secret, or neither.")
        if strict and introspection_client_id is None:
            raise ValueError("strict=True introspects every token and so needs an introspection credential.")
        accepted = (audience,) if isinstance(audience, str) else tuple(audience)
        if not accepted or not all(isinstance(a, str) and a for a in accepted):
            raise ValueError("audience must be a resource URI, or a non-empty collection of them.")
        self.issuer = issuer
        #: The audience as given; :attr:`audiences` is always the collection.
        self.audience = audience
        self.audiences: frozenset[str] = frozenset(accepted)
        self.algorithms = frozenset(algorithms)
        self.leeway = leeway
        self.strict = strict
        self.introspection_prefixes = tuple(introspection_prefixes)
        self.introspection_cache_seconds = introspection_cache_seconds
        self.max_token_length = max_token_length
        self._credential = (
            (introspection_client_id, introspection_client_secret)
            if introspection_client_id is not None and introspection_client_secret is not None
            else None
        )
        self._clock = clock
        self._keys = RemoteKeySet(
            issuer, clock=clock, cache_seconds=jwks_cache_seconds, cooldown_seconds=unknown_kid_cooldown
        )
        self._verified: ExpiringLRUCache[Principal] = ExpiringLRUCache(cache_size, clock)
        self._introspected: ExpiringLRUCache[Principal] = ExpiringLRUCache(introspection_cache_size, clock)
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._owns_http_client = http_client is None
        self._owns_async_http_client = async_http_client is None
        self._client_lock = threading.Lock()
        self.dpop_algorithms = tuple(dpop_algorithms)
        self.dpop_max_age = dpop_max_age
        self._dpop_replay: ReplayGuard = dpop_replay or ProofReplayCache()

    # -- public API -------------------------------------------------------------------------------

    def verify(
        self, token: str, *, scopes: Iterable[str] = (), dpop: DPoPPresentation | None = None
    ) -> Principal:
        """Verify ``token`` (blocking) and require ``scopes``; return the caller's :class:`Principal`.

        ``dpop``: the request's proof when the token came as ``Authorization: DPoP`` (RFC 9449 §7.1);
        ``None`` when it came as ``Bearer``."""
        principal = run_sync(self._flow(token), self._sync_client())
        return self._require(self._sender_constrained(principal, token, dpop), scopes)

    async def averify(
        self, token: str, *, scopes: Iterable[str] = (), dpop: DPoPPresentation | None = None
    ) -> Principal:
        """Verify ``token`` without blocking the event loop; same rules as :meth:`verify`."""
        principal = await run_async(self._flow(token), self._async_client())
        return self._require(self._sender_constrained(principal, token, dpop), scopes)

    def close(self) -> None:
        if self._owns_http_client and self._http_client is not None:
            self._http_client.close()
            self._http_client = None

    async def aclose(self) -> None:
        self.close()
        if self._owns_async_http_client and self._async_http_client is not None:
            await self._async_http_client.aclose()
            self._async_http_client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the flow ---------------------------------------------------------------------------------

    def _sender_constrained(
        self, principal: Principal, token: str, dpop: DPoPPresentation | None
    ) -> Principal:
        """RFC 9449 §7: the token's binding (``cnf.jkt``) against how it was presented."""
        jkt = principal.dpop_jkt
        if jkt is None:
            if dpop is not None:
                raise InvalidTokenError("The access token is not DPoP-bound; send it as Bearer.")
            return principal
        if dpop is None:
            raise InvalidTokenError("The access token is DPoP-bound; send it as DPoP with a DPoP proof.")
        if len(dpop.proofs) != 1:
            raise InvalidDPoPProofError("Exactly one DPoP header is required.")
        try:
            proof = check_proof(
                dpop.proofs[0],
                method=dpop.method,
                uris=(dpop.url,),
                now=self._clock(),
                max_age=self.dpop_max_age,
                leeway=int(self.leeway),
                algorithms=self.dpop_algorithms,
                access_token=token,
            )
        except DPoPProofError as exc:
            raise InvalidDPoPProofError(exc.description) from None
        if proof.jkt != jkt:
            raise InvalidDPoPProofError("The DPoP proof is signed by another key than the token is bound to.")
        ttl = proof.iat + self.dpop_max_age + 2 * self.leeway - self._clock()
        if not self._dpop_replay.first_use(f"{proof.htu} {proof.jti}", max(1.0, ttl)):
            raise InvalidDPoPProofError("The DPoP proof was already used (jti).")
        return principal

    @staticmethod
    def _require(principal: Principal, scopes: Iterable[str]) -> Principal:
        required = tuple(scopes)
        if not principal.has_scopes(*required):
            raise InsufficientScopeError(required)
        return principal

    def _check_shape(self, token: str) -> None:
        if len(token) > self.max_token_length:
            raise InvalidTokenError("The access token is too large.")
        if not _B64TOKEN.fullmatch(token):
            raise InvalidTokenError("The access token is malformed.")

    def _flow(self, token: str) -> Flow[Principal]:
        self._check_shape(token)
        fingerprint = _fingerprint(token)
        if token.startswith(self.introspection_prefixes):
            # Format and checksum first (tokensmith.token_format): garbage never costs a round trip.
            prefix = next(p for p in self.introspection_prefixes if token.startswith(p))
            if not is_well_formed(token, prefix):
                raise InvalidTokenError("The access token is malformed (its checksum does not match).")
            return (yield from self._introspect(token, fingerprint))
        if token.count(".") != 2:
            raise InvalidTokenError("The access token is malformed.")
        principal = self._verified.get(fingerprint)
        if principal is None:
            header = check_header(token, self.algorithms)
            key = yield from self._keys.key(header.kid)
            if header.alg != key.algorithm_name:  # only the key's own algorithm (RFC 8725 §3.1)
                raise InvalidTokenError("The access token's algorithm is not its key's.")
            claims = parse_payload(jws.verify_signature(token, key, key.algorithm_name))
            now = self._clock()
            validate_claims(claims, issuer=self.issuer, audience=self.audiences, now=now, leeway=self.leeway)
            principal = principal_from_claims(claims)
            self._verified.set(fingerprint, principal, float(claims["exp"]))
        if self.strict:
            # Revocation at once: every use asks the authorization server, whatever is cached.
            yield from self._introspect(token, fingerprint, use_cache=False)
        return principal

    def _introspect(self, token: str, fingerprint: str, *, use_cache: bool = True) -> Flow[Principal]:
        cached = self._introspected.get(fingerprint) if use_cache else None
        if cached is not None:
            return cached
        if self._credential is None:
            raise InvalidTokenError("This resource server accepts only JWT access tokens.")
        discovery = yield from self._keys.discovery()
        if discovery.introspection_endpoint is None:
            raise VerifierUnavailableError("The authorization server publishes no introspection endpoint.")
        client_id, client_secret = self._credential
        response = yield introspection_request(
            discovery.introspection_endpoint, token, client_id=client_id, client_secret=client_secret
        )
        now = self._clock()
        principal = principal_from_introspection(
            response, issuer=self.issuer, audience=self.audiences, now=now, leeway=self.leeway
        )
        if use_cache:
            expires_at = now + self.introspection_cache_seconds
            if principal.expires_at is not None:
                expires_at = min(expires_at, principal.expires_at.timestamp())
            self._introspected.set(fingerprint, principal, expires_at)
        return principal

    # -- HTTP clients -----------------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        with self._client_lock:
            if self._http_client is None:
                self._http_client = httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
            return self._http_client

    def _async_client(self) -> httpx.AsyncClient:
        with self._client_lock:
            if self._async_http_client is None:
                self._async_http_client = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
            return self._async_http_client
