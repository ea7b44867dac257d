"""Pure rules of webhooks: which audit events are webhook events, event-type parsing, the retry
schedule, and the SSRF guard's address classification."""

from __future__ import annotations

import ipaddress

import pytest

from tokensmith.core.webhook_events import EVENT_TYPES, event_type_of, parse_event_types, retry_delay
from tokensmith.services.outbound import OutboundRefused, check_url, is_public_address


def test_audit_actions_map_to_event_types() -> None:
    assert event_type_of("personal_token.expiring", {"notice": "7d"}) == "personal_token.expiring_7d"
    assert event_type_of("personal_token.expiring", {"notice": "1d"}) == "personal_token.expiring_1d"
    assert event_type_of("personal_token.expiring", {}) is None
    assert event_type_of("credential.secret_regenerated", {}) == "credential.regenerated"
    assert (
        event_type_of("access_token.revoked", {})
        == event_type_of("personal_token.revoked", {})
        == "token.revoked"
    )
    assert event_type_of("session.signed_in", {}) is None
    assert event_type_of("credential.renamed", {}) is None


def test_event_types_are_parsed_strictly() -> None:
    assert parse_event_types("token.revoked  credential.created token.revoked") == [
        "credential.created",
        "token.revoked",
    ]
    with pytest.raises(ValueError, match="unknown event"):
        parse_event_types(["token.revoked", "token.exploded"])
    with pytest.raises(ValueError, match="at least one"):
        parse_event_types("  ")
    assert set(parse_event_types(list(EVENT_TYPES))) == set(EVENT_TYPES)


def test_retry_delay_doubles_with_equal_jitter_up_to_the_cap() -> None:
    low = [retry_delay(n, base_seconds=30, max_seconds=600, rand=lambda: 0.0) for n in range(1, 8)]
    high = [retry_delay(n, base_seconds=30, max_seconds=600, rand=lambda: 1.0) for n in range(1, 8)]
    assert high == [30, 60, 120, 240, 480, 600, 600]
    assert low == [h / 2 for h in high]
    assert retry_delay(10_000, base_seconds=30, max_seconds=600, rand=lambda: 1.0) == 600


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address classified, not bound
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_check_url_allows_public_hosts_and_private_ones_only_when_allowed() -> None:
    assert check_url(" https://hooks.example.com/x ", allow_private=False) == "https://hooks.example.com/x"
    assert check_url("http://127.0.0.1:8080/x", allow_private=True) == "http://127.0.0.1:8080/x"
    for url in ("http://127.0.0.1/x", "http://app.localhost/x", "http://[fe80::1]/x"):
        with pytest.raises(OutboundRefused):
            check_url(url, allow_private=False)
    for url in ("ftp://example.com/", "http://a:b@example.com/", "//example.com/x"):
        with pytest.raises(OutboundRefused):
            check_url(url, allow_private=True)
