"""Helpers for the private_key_jwt tests: client key pairs, signed assertions, key-based credentials."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tokensmith.core.actors import Actor
from tokensmith.core.client_assertion import ASSERTION_TYPE
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.records import Credential, CredentialKind, Organization
from tokensmith.services.container import Services

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


@dataclass
class ClientKeyPair:
    """A client's key pair: the private key it signs with and the public JWK it registers."""

    alg: str = "ES256"
    kid: str | None = field(default_factory=lambda: uuid.uuid4().hex[:12])
    private: PrivateKey = field(init=False)

    def __post_init__(self) -> None:
        if self.alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
        elif self.alg.startswith(("RS", "PS")):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())

    def _jwk(self, key: Any) -> dict[str, Any]:
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            text = OKPAlgorithm.to_jwk(key)
        elif isinstance(self.private, rsa.RSAPrivateKey):
            text = RSAAlgorithm.to_jwk(key)
        else:
            text = ECAlgorithm.to_jwk(key)
        jwk: dict[str, Any] = json.loads(text)
        if self.kid is not None:
            jwk["kid"] = self.kid
        return jwk

    @property
    def public_jwk(self) -> dict[str, Any]:
        return self._jwk(self.private.public_key())

    @property
    def private_jwk(self) -> dict[str, Any]:
        return self._jwk(self.private)

    def sign(
        self,
        client_id: str,
        audience: str | list[str],
        *,
        lifetime: int = 300,
        now: int | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An assertion as RFC 7523 §3 describes it; ``claims`` override (``None`` drops one)."""
        issued = int(time.time()) if now is None else now
        body: dict[str, Any] = {
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": issued,
            "exp": issued + lifetime,
            "jti": uuid.uuid4().hex,
        } | claims
        body = {k: v for k, v in body.items() if v is not None}
        header = {"kid": self.kid} if self.kid is not None else {}
        return jwt.encode(body, self.private, algorithm=self.alg, headers=header | (headers or {}))


def assertion_form(assertion: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    } | extra


def key_credential(
    services: Services,
    org: Organization,
    *,
    keys: list[ClientKeyPair] | None = None,
    jwks_uri: str | None = None,
    scopes: list[str] | None = None,
    require_dpop: bool = False,
) -> Credential:
    """A private_key_jwt organisation credential holding ``keys`` (or reading ``jwks_uri``);
    ``require_dpop``: its token requests must carry a DPoP proof (RFC 9449 §5)."""
    created = services.credentials.create(
        Actor.system(),
        org_id=org.id,
        name=f"signer-{uuid.uuid4().hex[:6]}",
        kind=CredentialKind.ORGANIZATION,
        scopes=scopes,
        auth_method=ClientAuthMethod.PRIVATE_KEY_JWT,
        jwks={"keys": [k.public_jwk for k in keys]} if keys is not None else None,
        jwks_uri=jwks_uri,
        require_dpop=require_dpop,
    )
    assert created.client_secret == ""
    return created.credential


class JwksServer:
    """A client's own web server publishing its JWK Set on 127.0.0.1 (a real socket), counting GETs.

    ``document`` is what it serves (change it to rotate); ``status`` and ``location`` make it
    answer an error or a redirect; ``body`` overrides the bytes sent."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.status = 200
        self.location: str | None = None
        self.body: bytes | None = None
        self.requests = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                owner.requests += 1
                payload = owner.body if owner.body is not None else json.dumps(owner.document).encode()
                self.send_response(owner.status)
                if owner.location is not None:
                    self.send_header("Location", owner.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="jwks-server")

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
