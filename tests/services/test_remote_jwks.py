"""A client's JWK Set fetched from its jwks_uri: the outbound-request rules (no private or, outside
development, loopback addresses; no redirects; a size cap) and the cache's invariant (served at
most ``max_age`` after its fetch; an unknown kid refetches at most once per cooldown)."""

from __future__ import annotations

import ipaddress

import pytest

from tests.http.private_key_jwt_support import ClientKeyPair, JwksServer
from tokensmith.core.client_keys import DEFAULT_ALGORITHMS, MAX_JWKS_BYTES
from tokensmith.core.errors import InvalidClient
from tokensmith.services.remote_jwks import IPAddress, RefusedAddress, RemoteKeySets, address_allowed


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key_sets(ticks: Ticks, **kwargs: object) -> RemoteKeySets:
    options: dict[str, object] = {"allow_loopback": True, "require_https": False, "monotonic": ticks} | kwargs
    return RemoteKeySets(DEFAULT_ALGORITHMS, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "development", "production"),
    [
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("::ffff:127.0.0.1", True, False),
        ("10.1.2.3", False, False),
        ("172.16.0.1", False, False),
        ("192.168.0.1", False, False),
        ("169.254.169.254", False, False),
        ("100.64.0.1", False, False),
        ("0.0.0.0", False, False),  # noqa: S104 - an address refused, not one bound to
        ("224.0.0.1", False, False),
        ("fe80::1", False, False),
        ("fc00::1", False, False),
        ("::ffff:10.0.0.1", False, False),
        ("93.184.216.34", True, True),
        ("2606:4700::1111", True, True),
    ],
)
def test_which_addresses_may_be_called(address: str, development: bool, production: bool) -> None:
    ip: IPAddress = ipaddress.ip_address(address)
    assert address_allowed(ip, allow_loopback=True) is development
    assert address_allowed(ip, allow_loopback=False) is production


def test_outside_development_loopback_is_refused_even_when_a_name_resolves_to_it() -> None:
    ticks = Ticks()
    with JwksServer({"keys": [ClientKeyPair().public_jwk]}) as published:
        remote = key_sets(ticks, allow_loopback=False)
        with pytest.raises(RefusedAddress):
            remote.fetch(published.url)
        # A public-looking name whose DNS answer is loopback: refused before any request.
        named = key_sets(
            ticks, allow_loopback=False, resolver=lambda host, port: [ipaddress.ip_address("127.0.0.1")]
        )
        with pytest.raises(RefusedAddress):
            named.fetch(published.url.replace("127.0.0.1", "keys.example.test"))
        # DNS said public, the connection went to loopback (a rebinding): the peer check refuses it.
        rebound = key_sets(
            ticks, allow_loopback=False, resolver=lambda host, port: [ipaddress.ip_address("93.184.216.34")]
        )
        with pytest.raises(RefusedAddress):
            rebound.fetch(published.url)
        assert published.requests == 1  # only the rebinding one reached the server, and its body was not read


def test_a_set_too_large_not_json_or_not_a_set_is_not_trusted() -> None:
    ticks = Ticks()
    remote = key_sets(ticks)
    with JwksServer({"keys": []}) as published:
        published.body = b'{"keys": [' + b" " * MAX_JWKS_BYTES + b"]}"
        with pytest.raises(ValueError, match="too large"):
            remote.fetch(published.url)
        published.body = b"<html>"
        with pytest.raises(ValueError):
            remote.fetch(published.url)
        published.body = b'{"keys": {}}'
        with pytest.raises(ValueError, match="not a JWK Set"):
            remote.fetch(published.url)


def test_unusable_keys_in_a_published_set_are_skipped() -> None:
    good = ClientKeyPair()
    leaked = ClientKeyPair()
    document = {"keys": [leaked.private_jwk, {"kty": "oct", "k": "c2VjcmV0"}, good.public_jwk]}
    with JwksServer(document) as published:
        keys = key_sets(Ticks()).fetch(published.url)
    assert [k.kid for k in keys] == [good.kid]


def test_the_cache_serves_until_max_age_and_refetches_unknown_kids_once_per_cooldown() -> None:
    ticks = Ticks()
    remote = key_sets(ticks, max_age=600.0, cooldown=30.0)
    first, second = ClientKeyPair(), ClientKeyPair()
    with JwksServer({"keys": [first.public_jwk]}) as published:
        assert [k.kid for k in remote.keys(published.url, first.kid)] == [first.kid]
        assert [k.kid for k in remote.keys(published.url, None)] == [first.kid]
        assert published.requests == 1
        published.document = {"keys": [first.public_jwk, second.public_jwk]}
        ticks.now += 10
        assert second.kid not in [k.kid for k in remote.keys(published.url, second.kid)]  # cooldown
        assert published.requests == 1
        ticks.now += 25
        assert second.kid in [k.kid for k in remote.keys(published.url, second.kid)]
        assert published.requests == 2
        ticks.now += 10
        remote.keys(published.url, "never-published")  # within the cooldown again: no request
        assert published.requests == 2
        ticks.now += 600
        remote.keys(published.url, first.kid)  # max_age passed: refetched though the kid is known
        assert published.requests == 3


def test_a_failed_refetch_serves_the_last_good_set_until_max_age_then_refuses() -> None:
    ticks = Ticks()
    remote = key_sets(ticks, max_age=600.0, cooldown=30.0)
    pair = ClientKeyPair()
    with JwksServer({"keys": [pair.public_jwk]}) as published:
        remote.keys(published.url, pair.kid)
        published.status = 500
        ticks.now += 40
        assert [k.kid for k in remote.keys(published.url, "rotated")] == [pair.kid]
        assert remote.last_failure == "ValueError"
        ticks.now += 600
        with pytest.raises(InvalidClient):
            remote.keys(published.url, pair.kid)
