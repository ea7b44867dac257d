"""DPoP at the authorization server (RFC 9449): one call that every door uses.

:meth:`DPoPValidator.validate` checks a ``DPoP`` header field for a request
(:func:`tokensmith.verify.dpop.check_proof`, §4.3), refuses a replayed ``jti`` (§11.1,
:class:`~tokensmith.services.dpop_replay.ReplayCache`) and, when
``TOKENSMITH_DPOP_NONCES`` is on, a proof without a current server nonce (§8,
:class:`~tokensmith.services.dpop_nonces.NonceSource`). It answers the key's thumbprint, which
the token endpoint puts in the token's ``cnf.jkt`` (§6) and which the management API and
``/mcp`` compare with a presented token's (§7). Failures are
:class:`~tokensmith.core.errors.InvalidDPoPProof` or
:class:`~tokensmith.core.errors.UseDPoPNonce`, both carrying a fresh nonce when nonces are on.

Any grant can call it: the token endpoint hands the resulting thumbprint to the grant, which
passes it to :class:`~tokensmith.services.issuance.TokenIssuance`.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from tokensmith.core.clock import Clock
from tokensmith.core.errors import InvalidDPoPProof, UseDPoPNonce
from tokensmith.services.dpop_nonces import NonceSource
from tokensmith.services.dpop_replay import ReplayCache
from tokensmith.settings import Settings
from tokensmith.verify.dpop import DPOP_ALGORITHMS, DPoPNonceError, DPoPProofError, Proof, check_proof

#: The ``WWW-Authenticate`` / ``Authorization`` scheme of DPoP-bound tokens (RFC 9449 §7.1).
DPOP_SCHEME = "DPoP"


@dataclass(frozen=True)
class DPoPRequest:
    """What a proof is checked against: the ``DPoP`` header field values (§4.3 point 1 wants
    exactly one), the request's method and the URIs it may name in ``htu``."""

    proofs: tuple[str, ...]
    method: str
    uris: tuple[str, ...]

    @property
    def present(self) -> bool:
        return bool(self.proofs)


@dataclass(frozen=True, slots=True, eq=False)
class DPoPValidator:
    """Validates DPoP proofs for the token endpoint and for Tokensmith's own protected resources."""

    clock: Clock
    replay: ReplayCache
    nonces: NonceSource | None
    _: KW_ONLY
    max_age: int
    leeway: int
    algorithms: tuple[str, ...] = DPOP_ALGORITHMS

    @property
    def nonces_required(self) -> bool:
        return self.nonces is not None

    def fresh_nonce(self) -> str | None:
        """The nonce to send as ``DPoP-Nonce`` (§8.2), or ``None`` when nonces are off."""
        return self.nonces.current() if self.nonces is not None else None

    def validate(self, request: DPoPRequest, *, access_token: str | None = None) -> Proof:
        """The proof of ``request``, checked (§4.3), its ``jti`` recorded as used (§11.1).

        ``access_token``: the token the proof accompanies at a protected resource; its ``ath``
        must match (§4.3 point 12, §7)."""
        if len(request.proofs) != 1:
            raise self._refusal("Exactly one DPoP header is required.")
        now = self.clock.now().timestamp()
        try:
            proof = check_proof(
                request.proofs[0],
                method=request.method,
                uris=request.uris,
                now=now,
                max_age=self.max_age,
                leeway=self.leeway,
                algorithms=self.algorithms,
                access_token=access_token,
                nonce_ok=self.nonces.is_valid if self.nonces is not None else None,
            )
        except DPoPNonceError as exc:
            raise UseDPoPNonce(exc.description, nonce=self.fresh_nonce()) from None
        except DPoPProofError as exc:
            raise self._refusal(exc.description) from None
        # Remembered until the proof's iat leaves the window, then it could not pass anyway.
        ttl = max(1, proof.iat + self.max_age + 2 * self.leeway - int(now))
        if not self.replay.first_use(f"{proof.htu} {proof.jti}", ttl):
            raise self._refusal("The DPoP proof was already used (jti).")
        return proof

    def require(self, reason: str) -> InvalidDPoPProof:
        """The refusal for a request that must carry a proof and has none (§5, §7.1)."""
        return self._refusal(reason)

    def close(self) -> None:
        self.replay.close()

    def _refusal(self, description: str) -> InvalidDPoPProof:
        return InvalidDPoPProof(description, nonce=self.fresh_nonce())


def build_dpop_validator(settings: Settings, clock: Clock, nonce_key: str) -> DPoPValidator:
    """The deployment's validator: its replay cache (Redis when configured), server nonces under
    ``nonce_key`` when ``TOKENSMITH_DPOP_NONCES`` is on, and its age limits."""
    nonces = (
        NonceSource(nonce_key, clock, window_seconds=settings.dpop_nonce_window_seconds)
        if settings.dpop_nonces
        else None
    )
    return DPoPValidator(
        clock,
        ReplayCache(settings.redis_url),
        nonces,
        max_age=settings.dpop_proof_max_age_seconds,
        leeway=settings.dpop_leeway_seconds,
    )
