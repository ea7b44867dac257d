"""The verification cache: repeat checks are cheap, and never outlive the token's ``exp``."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tokensmith.verify import InvalidTokenError, Verifier, jws
from tokensmith.verify.cache import ExpiringLRUCache
from tokensmith.verify.testing import FakeIssuer, ManualClock


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = jws.verify_signature

    def spy(token: str, key: jwt.PyJWK, algorithm: str) -> bytes:
        calls.append(token)
        return real(token, key, algorithm)

    monkeypatch.setattr(jws, "verify_signature", spy)
    return calls


def test_repeat_verification_skips_the_signature(
    issuer: FakeIssuer, verifier: Verifier, signature_checks: list[str]
) -> None:
    token = issuer.mint()
    first = verifier.verify(token)
    for _ in range(10):
        assert verifier.verify(token) == first
    assert len(signature_checks) == 1
    verifier.verify(issuer.mint())
    assert len(signature_checks) == 2


def test_cached_entry_never_outlives_exp(
    issuer: FakeIssuer, verifier: Verifier, signature_checks: list[str]
) -> None:
    token = issuer.mint(ttl=60)
    verifier.verify(token)
    issuer.clock.advance(59)
    verifier.verify(token)
    assert len(signature_checks) == 1
    issuer.clock.advance(1)  # at exp: the cache no longer answers, the full check runs (with leeway)
    verifier.verify(token)
    assert len(signature_checks) == 2
    issuer.clock.advance(31)  # beyond exp + leeway
    with pytest.raises(InvalidTokenError, match="expired"):
        verifier.verify(token)


def test_scope_check_applies_to_cached_principal(issuer: FakeIssuer, verifier: Verifier) -> None:
    from tokensmith.verify import InsufficientScopeError

    token = issuer.mint(scopes="project:read")
    assert verifier.verify(token, scopes=["project:read"]).has_scopes("project:read")
    with pytest.raises(InsufficientScopeError) as caught:
        verifier.verify(token, scopes=["project:write"])
    assert caught.value.required == ("project:write",)


def test_lru_is_bounded_and_evicts_least_recent() -> None:
    clock = ManualClock()
    cache: ExpiringLRUCache[int] = ExpiringLRUCache(2, clock)
    cache.set("a", 1, clock() + 10)
    cache.set("b", 2, clock() + 10)
    assert cache.get("a") == 1  # a is now the most recent
    cache.set("c", 3, clock() + 10)
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") == 1
    assert cache.get("c") == 3


def test_lru_refuses_already_expired_entries() -> None:
    clock = ManualClock()
    cache: ExpiringLRUCache[Any] = ExpiringLRUCache(5, clock)
    cache.set("past", 1, clock() - 1)
    assert len(cache) == 0
    cache.set("soon", 1, clock() + 1)
    clock.advance(1)
    assert cache.get("soon") is None


def test_cache_size_bound_is_honoured(issuer: FakeIssuer, signature_checks: list[str]) -> None:
    with issuer.verifier(cache_size=2) as verifier:
        tokens = [issuer.mint() for _ in range(3)]
        for token in tokens:
            verifier.verify(token)
        verifier.verify(tokens[0])  # evicted by the third
        assert len(signature_checks) == 4
