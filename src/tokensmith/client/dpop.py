"""A DPoP key and the proofs it signs (RFC 9449 §4), for the SDK.

:class:`DPoPKey` holds one private key (a fresh P-256 key unless given one) that never leaves
the process: a token bound to it (``cnf.jkt``, §6) is useless to anyone who steals the token
alone. :meth:`DPoPKey.proof` signs a proof for one request: a fresh ``jti``, the method and
the URL without query or fragment (§4.2), ``iat``, and — at a resource server — ``ath``, the
hash of the access token it accompanies. ``nonce`` carries a server's ``DPoP-Nonce`` (§8).

Self-contained on purpose: the SDK installs without the server or the verifier, and signs with
``cryptography`` alone (a base dependency): ES256 per RFC 7518 §3.4 (``r || s``, 32 bytes each).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

__all__ = ["DPoPKey", "process_key"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_b64(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _htu(url: str) -> str:
    """§4.2: the request's URI without query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


class DPoPKey:
    """An ES256 key pair for DPoP proofs; ``private_key`` defaults to a new P-256 key."""

    algorithm = "ES256"

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self._key = private_key or ec.generate_private_key(ec.SECP256R1())
        if not isinstance(self._key.curve, ec.SECP256R1):
            raise ValueError("a DPoP key for ES256 must be on P-256")
        numbers = self._key.public_key().public_numbers()
        self.public_jwk: dict[str, str] = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        canonical = json.dumps(self.public_jwk, sort_keys=True, separators=(",", ":"))
        #: RFC 7638 thumbprint: what a token bound to this key carries as ``cnf.jkt``.
        self.thumbprint = _b64url(hashlib.sha256(canonical.encode()).digest())

    def __repr__(self) -> str:
        return f"DPoPKey(jkt={self.thumbprint!r})"

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        now: float | None = None,
    ) -> str:
        """A ``DPoP`` header value for ``method url`` (RFC 9449 §4.2)."""
        claims: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "htm": method.upper(),
            "htu": _htu(url),
            "iat": int(time.time() if now is None else now),
        }
        if access_token is not None:
            claims["ath"] = _b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        header = {"typ": "dpop+jwt", "alg": self.algorithm, "jwk": self.public_jwk}
        signing_input = f"{_json_b64(header)}.{_json_b64(claims)}".encode("ascii")
        r, s = decode_dss_signature(self._key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return f"{signing_input.decode('ascii')}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


_PROCESS_KEY: DPoPKey | None = None
_PROCESS_KEY_LOCK = threading.Lock()


def process_key() -> DPoPKey:
    """This process's DPoP key, made on first use and shared by every ``ClientCredentialsAuth(dpop=True)``."""
    global _PROCESS_KEY
    with _PROCESS_KEY_LOCK:
        if _PROCESS_KEY is None:
            _PROCESS_KEY = DPoPKey()
        return _PROCESS_KEY
