"""Signing-key states derived from timestamps (``tokensmith.core.key_states.key_state``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tokensmith.core.key_states import KeyState, key_state
from tokensmith.core.records import SigningKeyRecord

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MAX_TTL = 3600
#: A retired key stays published until its successor's activation + max TTL + 300 s.
RETENTION = timedelta(seconds=MAX_TTL + 300)


def key(generation: int, activates_at: datetime) -> SigningKeyRecord:
    return SigningKeyRecord(
        kid=f"k{generation}",
        generation=generation,
        algorithm="ES256",
        public_jwk={},
        private_key="",
        master_key_id="m",
        created_at=activates_at,
        activates_at=activates_at,
    )


def states(keys: list[SigningKeyRecord], now: datetime) -> list[KeyState]:
    return [key_state(keys, k, now, MAX_TTL) for k in keys]


def test_first_key_is_active_even_before_its_activation_time() -> None:
    keys = [key(1, T0 + timedelta(seconds=600))]
    assert states(keys, T0) == [KeyState.ACTIVE]


def test_rotation_lifecycle() -> None:
    delay = timedelta(seconds=600)
    keys = [key(1, T0), key(2, T0 + delay)]
    # Published, not yet signing.
    assert states(keys, T0 + delay - timedelta(seconds=1)) == [KeyState.ACTIVE, KeyState.NEXT]
    # At activation the new key signs; the old one is retired but still published.
    assert states(keys, T0 + delay) == [KeyState.RETIRED, KeyState.ACTIVE]
    last_retired = T0 + delay + RETENTION - timedelta(seconds=1)
    assert states(keys, last_retired) == [KeyState.RETIRED, KeyState.ACTIVE]
    assert states(keys, T0 + delay + RETENTION) == [KeyState.EXPIRED, KeyState.ACTIVE]


def test_newest_activated_key_is_the_only_active_one() -> None:
    keys = [
        key(1, T0),
        key(2, T0 + timedelta(hours=1)),
        key(3, T0 + timedelta(hours=2)),
        key(4, T0 + timedelta(hours=10)),
    ]
    now = T0 + timedelta(hours=2, minutes=30)
    assert states(keys, now) == [KeyState.EXPIRED, KeyState.RETIRED, KeyState.ACTIVE, KeyState.NEXT]


def test_retirement_counts_from_the_direct_successor() -> None:
    # Key 1's tokens were signed until key 2 activated, so its retention runs from then.
    keys = [key(1, T0), key(2, T0 + timedelta(hours=1)), key(3, T0 + timedelta(hours=1, minutes=30))]
    now = T0 + timedelta(hours=1) + RETENTION - timedelta(seconds=1)
    assert states(keys, now)[0] is KeyState.RETIRED
