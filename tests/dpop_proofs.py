"""DPoP proofs for tests, well-formed or hostile (RFC 9449 §4), signed independently of the SDK."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
_ALG = {ec.EllipticCurvePrivateKey: "ES256", ed25519.Ed25519PrivateKey: "EdDSA", rsa.RSAPrivateKey: "PS256"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ath(token: str) -> str:
    return b64url(hashlib.sha256(token.encode()).digest())


class ProofKey:
    """A key that signs proofs, with overridable claims and header (to make hostile ones)."""

    def __init__(self, key: PrivateKey | None = None) -> None:
        self.key: PrivateKey = key or ec.generate_private_key(ec.SECP256R1())
        self.alg = next(alg for kind, alg in _ALG.items() if isinstance(self.key, kind))
        self.public_jwk = self.jwk(private=False)

    def jwk(self, *, private: bool) -> dict[str, Any]:
        target: Any = self.key if private else self.key.public_key()
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            found: dict[str, Any] = ECAlgorithm.to_jwk(target, as_dict=True)
        elif isinstance(self.key, ed25519.Ed25519PrivateKey):
            found = OKPAlgorithm.to_jwk(target, as_dict=True)
        else:
            found = RSAAlgorithm.to_jwk(target, as_dict=True)
        return found

    @property
    def thumbprint(self) -> str:
        members = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
        jwk = self.public_jwk
        canonical = json.dumps(
            {m: jwk[m] for m in members[jwk["kty"]]}, sort_keys=True, separators=(",", ":")
        )
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        claims: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        body: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "htm": method,
            "htu": url,
            "iat": int(time.time() if iat is None else iat),
        }
        if access_token is not None:
            body["ath"] = ath(access_token)
        if nonce is not None:
            body["nonce"] = nonce
        body.update(claims or {})
        for name in drop:
            body.pop(name, None)
        headers = {"typ": "dpop+jwt", "jwk": self.public_jwk, **(header or {})}
        return jwt.encode(body, self.key, algorithm=self.alg, headers=headers)


def unsigned_proof(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWS with any header (``alg: none``, an HMAC…) and the given signature bytes."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(signature)}"


def hs256_proof(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    import hmac

    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"
