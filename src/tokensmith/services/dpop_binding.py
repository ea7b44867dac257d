"""Tokensmith's own protected resources (management API, ``/mcp``) and DPoP-bound tokens (RFC 9449 §7).

:func:`check_binding` is called by :class:`~tokensmith.services.authentication.BearerAuthenticator`
for every access token it accepts, so no door can forget it:

* a DPoP-bound token (``cnf.jkt``) presented as ``Bearer`` is refused (§7.1: the scheme of a bound
  token is ``DPoP``; accepting it as Bearer would make the binding worthless);
* a bound token presented as ``DPoP`` needs a proof for this request that passes §4.3 (method,
  URI, ``iat``, replay, nonce) with ``ath`` = the token's hash (point 12), signed by the very key
  the token is bound to (point 13);
* a token that is not bound, presented as ``DPoP``, is refused too: the client believes it holds
  a bound token, and the server will not pretend so.
"""

from __future__ import annotations

from tokensmith.core.errors import DPoPUnauthenticated, InvalidDPoPProof, Unauthenticated, UseDPoPNonce
from tokensmith.services.dpop import DPoPRequest, DPoPValidator
from tokensmith.storage.inline import ensure_may_block


def bound_key(cnf: object) -> str | None:
    """The ``jkt`` of a token's ``cnf`` claim (RFC 9449 §6.1), or ``None`` for a bearer token."""
    if isinstance(cnf, dict):
        jkt = cnf.get("jkt")
        return jkt if isinstance(jkt, str) else None
    return None


def check_binding(
    validator: DPoPValidator | None, token: str, jkt: str | None, dpop: DPoPRequest | None
) -> None:
    """Raise :class:`Unauthenticated` unless ``token`` (bound to ``jkt``, or not) was presented
    as it must be; ``dpop`` is the request's DPoP presentation, ``None`` for ``Bearer``."""
    if jkt is None:
        if dpop is not None:
            raise Unauthenticated(
                "this access token is not DPoP-bound: send it as Authorization: Bearer", code="invalid_token"
            )
        return
    if dpop is None or validator is None:
        raise Unauthenticated(
            "this access token is DPoP-bound (RFC 9449): send it as Authorization: DPoP with a DPoP proof",
            code="invalid_token",
        )
    # A proof's jti is recorded as used: do it where nothing after can make the call start over.
    ensure_may_block()
    try:
        proof = validator.validate(dpop, access_token=token)
    except UseDPoPNonce as exc:
        raise DPoPUnauthenticated(exc.description, code="use_dpop_nonce", nonce=exc.nonce) from None
    except InvalidDPoPProof as exc:
        raise DPoPUnauthenticated(exc.description, code="invalid_dpop_proof", nonce=exc.nonce) from None
    if proof.jkt != jkt:
        raise DPoPUnauthenticated(
            "the DPoP proof is signed by another key than the one the token is bound to",
            code="invalid_dpop_proof",
            nonce=validator.fresh_nonce(),
        )
