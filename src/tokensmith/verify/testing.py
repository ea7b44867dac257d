"""A stand-in authorization server for testing resource servers, with no network.

:class:`FakeIssuer` holds locally generated signing keys, mints RFC 9068 access tokens and serves
discovery, JWKS and RFC 7662 introspection through an :class:`httpx.MockTransport`, recording every
request it sees. A platform can test its own API with it::

    issuer = FakeIssuer()
    verifier = issuer.verifier()
    token = issuer.mint(scopes="project:read")
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack
from urllib.parse import parse_qs, unquote_plus

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from tokensmith.verify.introspection import basic_authorization
from tokensmith.verify.verifier import Verifier

__all__ = ["FakeIssuer", "ManualClock", "SigningKey"]

#: 2026-01-01T00:00:00Z
DEFAULT_START = 1_767_225_600.0
_REMOVE = object()


class ManualClock:
    """Seconds since the epoch, moving only when told to."""

    def __init__(self, now: float = DEFAULT_START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private_key: PrivateKeyTypes = field(repr=False)

    @property
    def public_jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.alg)
        public = self.private_key.public_key()
        jwk: dict[str, Any] = json.loads(algorithm.to_jwk(public))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


def generate_key(alg: str, kid: str | None = None) -> SigningKey:
    private: PrivateKeyTypes
    if alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif alg in ("RS256", "PS256"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"no test key type for {alg}")
    return SigningKey(kid=kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}", alg=alg, private_key=private)


class StandardClaims(TypedDict, total=False):
    """What :meth:`FakeIssuer.claims` varies (each has its default there)."""

    scopes: str
    subject: str
    kind: str
    org_id: str
    ttl: int


class FakeIssuer:
    """Discovery, JWKS, introspection and token minting for tests (see the module docstring)."""

    def __init__(
        self,
        issuer: str = "https://auth.example.test",
        audience: str = "https://api.example.test",
        *,
        clock: ManualClock | None = None,
        algorithms: tuple[str, ...] = ("ES256",),
        introspection_client: tuple[str, str] = ("rs_client", "tss_resource_server_secret"),
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.clock = clock or ManualClock()
        self.introspection_client = introspection_client
        self.keys: list[SigningKey] = [generate_key(alg) for alg in algorithms]
        self.published: list[SigningKey] = list(self.keys)
        self.requests: list[httpx.Request] = []
        self.introspection_answers: dict[str, dict[str, Any]] = {}
        self.revoked: set[str] = set()
        self.minted: dict[str, dict[str, Any]] = {}
        self.discovery_overrides: dict[str, Any] = {}
        self.fail_with: int | None = None

    # -- the fake server ----------------------------------------------------------------------------

    @property
    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "token_endpoint": f"{self.issuer}/oauth2/token",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "introspection_endpoint": f"{self.issuer}/oauth2/introspect",
            **self.discovery_overrides,
        }

    def count(self, path: str, host: str | None = None) -> int:
        """Requests seen for ``path`` (on ``host``, default the issuer's)."""
        host = host or httpx.URL(self.issuer).host
        return sum(1 for r in self.requests if r.url.path == path and r.url.host == host)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, text="unavailable")
        if httpx.URL(self.issuer).host != request.url.host:
            return httpx.Response(404)
        if request.method == "GET" and request.url.path == "/.well-known/oauth-authorization-server":
            return httpx.Response(200, json=self.discovery)
        if request.method == "GET" and request.url.path == "/.well-known/jwks.json":
            return httpx.Response(200, json={"keys": [k.public_jwk for k in self.published]})
        if request.method == "POST" and request.url.path == "/oauth2/introspect":
            return self._introspect(request)
        return httpx.Response(404)

    def _introspect(self, request: httpx.Request) -> httpx.Response:
        expected = basic_authorization(*self.introspection_client)
        if request.headers.get("authorization") != expected:
            return httpx.Response(401, json={"error": "invalid_client"})
        form = parse_qs(request.content.decode())
        token = unquote_plus(form.get("token", [""])[0])
        if token in self.revoked:
            return httpx.Response(200, json={"active": False})
        if token in self.introspection_answers:
            return httpx.Response(200, json={"active": True, **self.introspection_answers[token]})
        if token in self.minted:
            return httpx.Response(200, json={"active": True, "token_type": "Bearer", **self.minted[token]})
        return httpx.Response(200, json={"active": False})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def verifier(self, **options: Any) -> Verifier:
        """A :class:`Verifier` for this issuer whose sync and async clients use the mock transport
        (for :attr:`audience` unless ``audience=`` says otherwise)."""
        options.setdefault("clock", self.clock)
        options.setdefault("algorithms", tuple(k.alg for k in self.keys))
        return Verifier(
            self.issuer,
            options.pop("audience", self.audience),
            http_client=httpx.Client(transport=self.transport()),
            async_http_client=httpx.AsyncClient(transport=self.transport()),
            **options,
        )

    # -- minting ------------------------------------------------------------------------------------

    def claims(
        self,
        *,
        scopes: str = "api/access",
        subject: str = "abcdefghijklmnopqrstuvwxyz",
        kind: str = "client",
        org_id: str = "org_1",
        ttl: int = 3600,
    ) -> dict[str, Any]:
        now = int(self.clock())
        return {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "exp": now + ttl,
            "iat": now,
            "nbf": now,
            "auth_time": now,
            "jti": str(uuid.uuid4()),
            "client_id": subject if kind == "client" else "pat:tok_1",
            "scope": scopes,
            "token_use": "access",
            "version": 2,
            "org_id": org_id,
            "sub_kind": kind,
        }

    def mint(
        self,
        *,
        claims: Mapping[str, Any] | None = None,
        header: Mapping[str, Any] | None = None,
        key: SigningKey | None = None,
        **standard: Unpack[StandardClaims],
    ) -> str:
        """A signed access token with the :meth:`claims` that ``standard`` describes;
        ``claims``/``header`` entries override (``None`` removes one)."""
        key = key or self.keys[0]
        body = self.claims(**standard)
        for name, value in (claims or {}).items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        headers: dict[str, Any] = {"typ": "at+jwt", "kid": key.kid}
        headers.update(header or {})
        token = jwt.encode(body, key.private_key, algorithm=key.alg, headers=headers)  # type: ignore[arg-type]
        for name in [n for n, v in (header or {}).items() if v is None]:
            token = rewrite_header(token, lambda h, n=name: {k: v for k, v in h.items() if k != n})
        self.minted[token] = body
        return token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def rewrite_header(token: str, change: Any) -> str:
    """Replace ``token``'s header by ``change(header)`` keeping payload and signature (a forgery)."""
    header, payload, signature = token.split(".")
    new_header = change(json.loads(_unb64(header)))
    return ".".join([_b64(json.dumps(new_header).encode()), payload, signature])


def unsigned(claims: Mapping[str, Any], header: Mapping[str, Any]) -> str:
    """A token with whatever header and claims, and an empty signature (``alg: none`` style)."""
    return ".".join([_b64(json.dumps(dict(header)).encode()), _b64(json.dumps(dict(claims)).encode()), ""])
