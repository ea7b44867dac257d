"""Signing-key states, derived from timestamps so no job has to flip them.

Each key has a ``generation`` (unique) and an ``activates_at``:

* the **active** key is the newest whose ``activates_at`` has passed — it signs;
* newer keys are **next**: published in the JWKS before they sign, so verifiers that cache
  the JWKS already know them (``TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS``);
* older keys are **retired**: still published until every token they signed has expired
  (their successor's activation plus the longest token lifetime), then **expired**.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tokensmith.core.records import SigningKeyRecord


class KeyState(StrEnum):
    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"
    EXPIRED = "expired"


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    algorithm: str
    generation: int
    state: KeyState
    created_at: datetime
    activates_at: datetime

    @classmethod
    def of(cls, record: SigningKeyRecord, state: KeyState) -> KeyInfo:
        return cls(
            record.kid, record.algorithm, record.generation, state, record.created_at, record.activates_at
        )


def key_state(keys: list[SigningKeyRecord], key: SigningKeyRecord, now: datetime, max_ttl: int) -> KeyState:
    """The state of ``key`` among ``keys`` (oldest generation first) at ``now``."""
    activated = [k for k in keys if k.activates_at <= now]
    if key.activates_at > now:
        # A first-ever key signs at once: there is nothing else to sign with.
        return KeyState.ACTIVE if not activated and key is keys[0] else KeyState.NEXT
    active = max(activated, key=lambda k: k.generation)
    if key.generation == active.generation:
        return KeyState.ACTIVE
    successor = min((k for k in activated if k.generation > key.generation), key=lambda k: k.generation)
    retired_until = successor.activates_at + timedelta(seconds=max_ttl + 300)
    return KeyState.RETIRED if now < retired_until else KeyState.EXPIRED
