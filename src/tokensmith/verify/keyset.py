"""The issuer's metadata (RFC 8414 §3) and signing keys (RFC 7517 §5), fetched and cached.

Modelled on panva/jose ``createRemoteJWKSet``: keys are cached for ``cache_seconds``; a token naming an
unknown ``kid`` triggers a refetch, but never more than once per ``cooldown_seconds`` (counted from the
last fetch), so a flood of forged ``kid`` values costs the issuer at most one request per cooldown. If a
refresh fails while older keys are at hand, the older keys keep serving.

The discovery document is read once; its ``issuer`` must equal the configured issuer byte for byte
(RFC 8414 §3.3). Keys are looked up only by ``kid`` in the issuer's own JWKS: never in a header-supplied
URL or key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
import jwt

from tokensmith.verify.errors import InvalidTokenError, VerifierUnavailableError
from tokensmith.verify.flow import Flow, json_object
from tokensmith.verify.header import ASYMMETRIC_ALGORITHMS

__all__ = ["Discovery", "RemoteKeySet", "discovery_url", "parse_jwks"]

_JSON = {"Accept": "application/json"}


@dataclass(frozen=True, slots=True)
class Discovery:
    issuer: str
    jwks_uri: str
    introspection_endpoint: str | None


def discovery_url(issuer: str) -> str:
    """``{issuer}/.well-known/oauth-authorization-server`` (Tokensmith issuers carry no path)."""
    return issuer.rstrip("/") + "/.well-known/oauth-authorization-server"


def _http_url(value: object, issuer: str) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith("https://") or (issuer.startswith("http://") and value.startswith("http://")):
        return value
    return None


def parse_discovery(document: Mapping[str, object], issuer: str) -> Discovery:
    if document.get("issuer") != issuer:
        raise VerifierUnavailableError(
            "The authorization server's metadata names another issuer.",
            detail=f"expected {issuer!r}, got {document.get('issuer')!r}",
        )
    jwks_uri = _http_url(document.get("jwks_uri"), issuer)
    if jwks_uri is None:
        raise VerifierUnavailableError("The authorization server's metadata has no usable jwks_uri.")
    return Discovery(
        issuer=issuer,
        jwks_uri=jwks_uri,
        introspection_endpoint=_http_url(document.get("introspection_endpoint"), issuer),
    )


def parse_jwks(document: Mapping[str, object]) -> dict[str, jwt.PyJWK]:
    """Usable public signature keys by ``kid``; symmetric, encryption-only and unknown keys are skipped."""
    raw = document.get("keys")
    if not isinstance(raw, list):
        raise VerifierUnavailableError("The authorization server's JWKS has no keys array.")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or kid in keys or entry.get("kty") == "oct":
            continue
        if entry.get("use", "sig") != "sig":
            continue
        ops = entry.get("key_ops")
        if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
            continue
        if any(private in entry for private in ("d", "p", "q")):
            continue  # a private key published by mistake is not something to trust
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in ASYMMETRIC_ALGORITHMS:
            keys[kid] = key
    return keys


def _again(error: VerifierUnavailableError) -> VerifierUnavailableError:
    """The last failure once more, without a request (the fetch is cooling down)."""
    return VerifierUnavailableError(error.description, detail=f"cooling down after: {error.detail}")


class RemoteKeySet:
    """Discovery and JWKS state, refreshed through sans-I/O flows (see :mod:`tokensmith.verify.flow`)."""

    def __init__(
        self,
        issuer: str,
        *,
        clock: Callable[[], float],
        cache_seconds: float,
        cooldown_seconds: float,
    ) -> None:
        self.issuer = issuer
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cooldown_seconds = cooldown_seconds
        self._discovery: Discovery | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # last successful JWKS fetch
        self._attempted_at: float | None = None  # last JWKS fetch attempt, successful or not
        self._jwks_failure: VerifierUnavailableError | None = None  # the last attempt's, if it failed
        self._discovery_failure: tuple[float, VerifierUnavailableError] | None = None

    def discovery(self) -> Flow[Discovery]:
        """The issuer's metadata, fetched once. A failed fetch is not retried within the cooldown:
        meanwhile every caller gets the same :class:`VerifierUnavailableError` at once, with no
        request (so a down issuer does not cost one outbound request per incoming one)."""
        if self._discovery is None:
            if self._discovery_failure is not None:
                failed_at, error = self._discovery_failure
                if self._clock() - failed_at < self._cooldown_seconds:
                    raise VerifierUnavailableError(
                        error.description, detail="cooling down after " + error.detail
                    )
            try:
                response = yield httpx.Request("GET", discovery_url(self.issuer), headers=_JSON)
                self._discovery = parse_discovery(json_object(response, "metadata"), self.issuer)
            except VerifierUnavailableError as exc:
                self._discovery_failure = (self._clock(), exc)
                raise
            self._discovery_failure = None
        return self._discovery

    def _cooling_down(self, now: float) -> bool:
        return self._attempted_at is not None and now - self._attempted_at < self._cooldown_seconds

    def _refresh(self) -> Flow[None]:
        discovery = yield from self.discovery()
        self._attempted_at = self._clock()
        try:
            response = yield httpx.Request("GET", discovery.jwks_uri, headers=_JSON)
            keys = parse_jwks(json_object(response, "JWKS"))
        except VerifierUnavailableError as exc:
            if self._keys:
                return  # keep serving the keys we have
            self._jwks_failure = exc
            raise
        self._keys = keys
        self._fetched_at = self._clock()
        self._jwks_failure = None

    def key(self, kid: str) -> Flow[jwt.PyJWK]:
        """The issuer's key named ``kid``, fetching the JWKS when stale or when ``kid`` is new.

        Invariant: at most one JWKS request per cooldown period, whether the last one succeeded
        or failed — with no key set yet and a failed attempt inside the cooldown, the failure is
        raised again without a request."""
        now = self._clock()
        if self._fetched_at is None:
            if self._jwks_failure is not None and self._cooling_down(now):
                raise _again(self._jwks_failure)
            yield from self._refresh()  # nothing cached yet: nothing to fall back on either
        elif now - self._fetched_at >= self._cache_seconds and not self._cooling_down(now):
            yield from self._refresh()
        key = self._keys.get(kid)
        if key is None and not self._cooling_down(self._clock()):
            yield from self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidTokenError("The access token was signed with a key the issuer does not publish.")
        return key
