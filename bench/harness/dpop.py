"""DPoP proofs for the ``tokensmith-dpop`` row (RFC 9449 §4): one fresh proof per request.

The server accepts each proof once (``jti`` replay cache, §11.1) and only while its ``iat`` is
inside the window (``TOKENSMITH_DPOP_PROOF_MAX_AGE_SECONDS``, 60 s by default, §4.3 point 11),
so wrk cannot replay one request. Just before a round's warm-up, :meth:`ProofSource.pools`
signs two pools of ES256 proofs (unique ``jti``, ``iat`` = now, ``htm`` POST, ``htu`` the
token URL exactly as the server sees it), one for the warm-up and one for the measured
seconds, each one proof a line, and :mod:`harness.loadgen`'s Lua script sends one per request
(each wrk thread its own lines). A pool holds twice what the bearer row achieved in as many
seconds (the DPoP row cannot be faster: it does the same work and more), at most
:data:`MAX_PROOFS` (a proof is ~480 bytes, held once in the file and once in wrk's memory).
A pool that runs dry is counted by the Lua script and fails the row, never silently replayed.

Signing is the SDK's own :class:`tokensmith.client.DPoPKey` (what a real client sends).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.loadgen import RequestSpec
from tokensmith.client import DPoPKey

HEADER = "DPoP"
#: Requests per second assumed when the bearer row has not been measured in this run.
FALLBACK_RPS = 4000.0
#: The largest pool signed for one wrk run (~100 MB of proofs).
MAX_PROOFS = 200_000
#: Headroom over the estimate: the pool holds this many times the expected requests.
HEADROOM = 2.0


@dataclass(frozen=True)
class ProofSource:
    """Signs proofs for ``method url`` with one key; its thumbprint is the tokens' ``cnf.jkt``."""

    method: str
    url: str
    key: DPoPKey = field(default_factory=DPoPKey)
    #: The row whose req/s this round sizes the pools: the same request as a bearer.
    like: str = "tokensmith"

    def sample(self, spec: RequestSpec) -> RequestSpec:
        """``spec`` with one fresh proof, for a single request."""
        return dataclasses.replace(
            spec, headers={**spec.headers, HEADER: self.key.proof(self.method, self.url)}
        )

    def write(self, path: Path, count: int) -> None:
        now = time.time()
        path.write_text("".join(self.key.proof(self.method, self.url, now=now) + "\n" for _ in range(count)))

    def pools(self, workdir: Path, seconds: tuple[float, float], rps: float | None) -> tuple[Path, Path]:
        """A warm-up pool and a measured pool for ``seconds`` (warm-up, measured), sized from
        ``rps`` (the bearer row's rate in this run, else :data:`FALLBACK_RPS`)."""
        rate = rps or FALLBACK_RPS
        paths = (workdir / "proofs-warmup.txt", workdir / "proofs-measured.txt")
        started = time.monotonic()
        counts = [min(MAX_PROOFS, math.ceil(rate * max(1.0, s) * HEADROOM) + 256) for s in seconds]
        for path, count in zip(paths, counts, strict=True):
            self.write(path, count)
        print(
            f"bench: signed {counts[0]:,} + {counts[1]:,} DPoP proofs in {time.monotonic() - started:.1f} s "
            f"(rate estimate {rate:,.0f} req/s)",
            file=sys.stderr,
        )
        return paths


def max_age_for(seconds: float) -> int:
    """A proof ``iat`` window that covers signing, warm-up and measurement with a margin: the
    server's default (60 s) unless a longer run needs more."""
    return max(60, math.ceil(seconds) + 60)
