"""Server-provided DPoP nonces (RFC 9449 §8) that need no shared state.

A nonce is ``base64url(HMAC-SHA256(key, window))`` truncated to 128 bits, where ``window`` is
the current time divided by the window length and ``key`` a subkey of the master key. Every
process of a deployment derives the same nonce for the same window, so a nonce issued by one
is accepted by all, with no database or Redis round trip. A nonce is accepted during its own
window and the next one (so it lives between one and two windows), which bounds how long a
proof made ahead of time stays usable — the purpose of §8 — and gives clients that fetched a
nonce just before a window ends time to use it. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

from tokensmith.core.clock import Clock
from tokensmith.core.secrets import derive_key
from tokensmith.verify.dpop import b64url

PURPOSE = "tokensmith dpop nonce v1"


class NonceSource:
    def __init__(self, master_key: str, clock: Clock, *, window_seconds: int) -> None:
        self._key = derive_key(master_key, PURPOSE)
        self._clock = clock
        self._window = window_seconds

    def _for(self, window: int) -> str:
        mac = hmac.new(self._key, window.to_bytes(8, "big", signed=True), hashlib.sha256).digest()
        return b64url(mac[:16])

    def _window_now(self) -> int:
        return int(self._clock.now().timestamp()) // self._window

    def current(self) -> str:
        """The nonce to hand out now (the ``DPoP-Nonce`` header, §8.1)."""
        return self._for(self._window_now())

    def is_valid(self, nonce: str | None) -> bool:
        """Whether ``nonce`` is this window's or the previous one's."""
        if not nonce:
            return False
        window = self._window_now()
        presented = nonce.encode("ascii", "replace")
        return any(hmac.compare_digest(presented, self._for(w).encode("ascii")) for w in (window, window - 1))
