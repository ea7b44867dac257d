"""The resource server's side: verifications per second of :class:`tokensmith.verify.Verifier`.

An in-process microbenchmark, no HTTP: the issuer is :class:`tokensmith.verify.testing.FakeIssuer`
(an ES256 key, discovery and JWKS on an ``httpx.MockTransport``, fetched once before timing), and its
tokens carry every RFC 9068 claim Tokensmith puts in its own. Three rows, each ``verify()`` of the
same kind of token, single-threaded, on the server core when pinning:

- **fresh**: every verification sees a token it has never seen (signature checked, claims checked,
  the result cached): what a resource server pays for a new token;
- **repeat**: one token verified again and again (the verification cache answers): what it pays for
  every later request carrying that token;
- **PyJWT**: plain ``jwt.decode`` of the fresh tokens with the public key, the algorithm, the issuer
  and the audience — the floor of a hand-written check, without discovery, key rotation, ``typ``,
  ``kid`` lookup, claim types or caching.

Each round times ``iterations`` verifications per row, the rows alternating in blocks of
:data:`BLOCK`; the median round is reported, with the verifier's rates as ratios to PyJWT's.
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import jwt

from harness import machine
from harness.report import NOISE_CORES
from tokensmith.verify import Verifier
from tokensmith.verify.testing import FakeIssuer, ManualClock

SCOPES = "project:read voice:read"


@dataclass
class VerifierResult:
    """Verifications per second (median of ``rounds``) for each row, and every round's figure."""

    iterations: int
    rounds: int
    fresh_per_s: float = 0.0
    repeat_per_s: float = 0.0
    pyjwt_per_s: float = 0.0
    every_round: dict[str, list[float]] = field(default_factory=dict)
    #: Cores other processes used on average while this ran (the machine is shared).
    other_cores: float = 0.0

    def ratios(self) -> dict[str, float]:
        return {
            "verifier_fresh_over_pyjwt": round(self.fresh_per_s / self.pyjwt_per_s, 3),
            "verifier_repeat_over_pyjwt": round(self.repeat_per_s / self.pyjwt_per_s, 3),
            "verifier_repeat_over_fresh": round(self.repeat_per_s / self.fresh_per_s, 3),
        }

    def as_json(self) -> dict[str, object]:
        return {
            "iterations": self.iterations,
            "rounds": self.rounds,
            "verifications_per_s": {
                "verifier_fresh": round(self.fresh_per_s, 1),
                "verifier_repeat": round(self.repeat_per_s, 1),
                "pyjwt_decode": round(self.pyjwt_per_s, 1),
            },
            "every_round": self.every_round,
            "other_cores": round(self.other_cores, 3),
            "ratios": self.ratios(),
        }


@contextmanager
def _pinned(cpu: int | None) -> Iterator[None]:
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


#: Rows alternate in blocks of this many verifications, so a burst of other work on the machine
#: slows every row alike instead of one of them.
BLOCK = 100


def _timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(iterations: int = 2000, rounds: int = 5, cpu: int | None = None) -> VerifierResult:
    """Time the three rows (see the module docstring); raises if a verification disagrees."""
    issuer = FakeIssuer(clock=ManualClock(time.time()))
    public_key = jwt.PyJWK(issuer.keys[0].public_jwk).key
    result = VerifierResult(iterations, rounds)
    rows: dict[str, list[float]] = {"verifier_fresh": [], "verifier_repeat": [], "pyjwt_decode": []}

    before = machine.snapshot(os.getpid())
    with _pinned(cpu):
        for _ in range(rounds):
            tokens = [issuer.mint(scopes=SCOPES) for _ in range(iterations)]
            seconds = dict.fromkeys(rows, 0.0)
            with issuer.verifier(cache_size=iterations + 1) as verifier:
                verifier.verify(tokens[0])  # discovery and JWKS fetched (and one token cached) untimed
                for start in range(0, iterations, BLOCK):
                    block = tokens[start : start + BLOCK]
                    fresh = block if start else block[1:] + [issuer.mint(scopes=SCOPES)]
                    seconds["verifier_fresh"] += _timed(functools.partial(_verify_each, verifier, fresh))
                    seconds["verifier_repeat"] += _timed(
                        functools.partial(_verify_each, verifier, [tokens[0]] * len(block))
                    )
                    seconds["pyjwt_decode"] += _timed(
                        functools.partial(_decode_each, block, public_key, issuer.issuer, issuer.audience)
                    )
            for name, total in seconds.items():
                rows[name].append(iterations / total)

    result.other_cores = machine.cpu_use(before, machine.snapshot(os.getpid())).other
    result.every_round = {name: [round(rate, 1) for rate in rates] for name, rates in rows.items()}
    result.fresh_per_s = statistics.median(rows["verifier_fresh"])
    result.repeat_per_s = statistics.median(rows["verifier_repeat"])
    result.pyjwt_per_s = statistics.median(rows["pyjwt_decode"])
    return result


def _verify_each(verifier: Verifier, tokens: list[str]) -> None:
    for token in tokens:
        if verifier.verify(token, scopes=("project:read",)).organization_id != "org_1":
            raise RuntimeError("the verifier returned another organisation")


def _decode_each(tokens: list[str], key: object, issuer: str, audience: str) -> None:
    for token in tokens:
        claims = jwt.decode(token, key, algorithms=["ES256"], issuer=issuer, audience=audience)  # type: ignore[arg-type]
        if "project:read" not in claims["scope"].split():
            raise RuntimeError("PyJWT decoded another token")


def lines(result: VerifierResult) -> list[str]:
    ratios = result.ratios()
    return [
        f"verifier (in-process, ES256, {result.iterations} verifications × {result.rounds} rounds, median):",
        f"  fresh tokens     {result.fresh_per_s:>10,.0f} verifications/s",
        f"  repeat token     {result.repeat_per_s:>10,.0f} verifications/s",
        f"  PyJWT jwt.decode {result.pyjwt_per_s:>10,.0f} decodes/s (same tokens, key in hand)",
        f"  verifier fresh ÷ PyJWT: {ratios['verifier_fresh_over_pyjwt']:.2f}×; "
        f"repeat ÷ PyJWT: {ratios['verifier_repeat_over_pyjwt']:.2f}×; "
        f"repeat ÷ fresh: {ratios['verifier_repeat_over_fresh']:.2f}×",
    ] + (
        [
            f"warning: other processes used {result.other_cores:.2f} cores while the verifier was measured; "
            "its numbers are noisy, run again on a quiet machine"
        ]
        if result.other_cores > NOISE_CORES
        else []
    )
