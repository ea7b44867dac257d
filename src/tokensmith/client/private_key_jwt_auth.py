"""``PrivateKeyJwtAuth``: :class:`~tokensmith.client.ClientCredentialsAuth` for a keyless credential.

The client holds a private key instead of a secret and authenticates to the token endpoint with
a fresh signed assertion on every token request (RFC 7523 §2.2, ``private_key_jwt``)::

    auth = PrivateKeyJwtAuth(
        client_id, private_key_pem, kid="2026-01", issuer="https://auth.example.com", scope="api/access"
    )
    with httpx.Client(auth=auth) as client:
        client.get("https://api.example.com/projects")

The assertion (RFC 7523 §3) has ``iss`` = ``sub`` = the client ID, ``aud`` = the token endpoint
URL, a random ``jti``, ``iat`` and an ``exp`` ``assertion_lifetime`` seconds later (60 by default:
short, since the server keeps each ``jti`` until then and refuses it a second time). A retry
after ``429``/``5xx`` signs a new one. Everything else — caching, discovery, one fetch at a time,
the renewal on a 401 — is :class:`~tokensmith.client.ClientCredentialsAuth`'s.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import anyio
import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tokensmith.client.credentials_auth import ClientCredentialsAuth
from tokensmith.client.dpop import DPoPKey
from tokensmith.client.retry import Backoff

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PrivateKey = (
    ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
)
#: What the base class holds as the secret: never sent, since this class builds its own token request.
_NO_SECRET = "(private_key_jwt: no client secret)"
_ALGORITHMS = ("ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")


def load_private_key(key: PrivateKey | str | bytes | Mapping[str, Any], algorithm: str) -> PrivateKey:
    """A private key from a ``cryptography`` key, PEM text, or a private JWK (a dict)."""
    if isinstance(key, Mapping):
        loaded: Any = jwt.PyJWK(dict(key), algorithm=algorithm).key
    elif isinstance(key, str | bytes):
        loaded = load_pem_private_key(key.encode() if isinstance(key, str) else key, password=None)
    else:
        loaded = key
    if not isinstance(
        loaded,
        ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey,
    ):
        raise ValueError("private_key must be an EC, RSA or EdDSA private key")
    return loaded


class PrivateKeyJwtAuth(ClientCredentialsAuth):
    """Bearer tokens from the client credentials grant, the client authenticated by ``private_key_jwt``.

    :param client_id: the credential's public client ID.
    :param private_key: the private key whose public half the credential holds: a ``cryptography``
        private key, PEM text, or a private JWK; kept out of every ``repr``.
    :param kid: the key's ``kid`` as registered, sent in the assertion's header (without it the
        server tries each of the credential's keys).
    :param algorithm: the JWS algorithm (RFC 7518): ``ES256`` (default), ``EdDSA``, ``RS256``, ``PS256``…
    :param assertion_lifetime: seconds until each assertion's ``exp``.

    The other parameters are :class:`~tokensmith.client.ClientCredentialsAuth`'s (there is no
    ``auth_method``: the assertion is the method), ``dpop`` included: a keyless client whose
    tokens are also bound to a DPoP key (RFC 9449).
    """

    def __init__(
        self,
        client_id: str,
        private_key: PrivateKey | str | bytes | Mapping[str, Any],
        *,
        kid: str | None = None,
        algorithm: str = "ES256",
        assertion_lifetime: int = 60,
        token_url: str | None = None,
        issuer: str | None = None,
        scope: str | Iterable[str] | None = None,
        renew_margin: float = 60.0,
        max_retries: int = 3,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        dpop: bool | DPoPKey = False,
    ) -> None:
        if algorithm not in _ALGORITHMS:
            raise ValueError(f"algorithm must be one of {', '.join(_ALGORITHMS)}")
        if not 1 <= assertion_lifetime <= 3600:
            raise ValueError("assertion_lifetime must be between 1 and 3600 seconds")
        super().__init__(
            client_id,
            _NO_SECRET,
            token_url=token_url,
            issuer=issuer,
            scope=scope,
            renew_margin=renew_margin,
            max_retries=max_retries,
            backoff=backoff,
            clock=clock,
            sleep=sleep,
            async_sleep=async_sleep,
            dpop=dpop,
        )
        self._private_key = load_private_key(private_key, algorithm)
        self._kid = kid
        self._algorithm = algorithm
        self._assertion_lifetime = assertion_lifetime

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_id={self._client_id!r}, kid={self._kid!r}, "
            f"algorithm={self._algorithm!r}, token_url={self._token_url!r}, issuer={self._issuer!r}, "
            f"scope={self._scope!r})"
        )

    def assertion(self, audience: str) -> str:
        """A new client assertion for ``audience`` (RFC 7523 §3)."""
        now = int(self._clock())
        claims = {
            "iss": self._client_id,
            "sub": self._client_id,
            "aud": audience,
            "iat": now,
            "exp": now + self._assertion_lifetime,
            "jti": secrets.token_urlsafe(24),
        }
        headers = {"kid": self._kid} if self._kid is not None else None
        return jwt.encode(claims, self._private_key, algorithm=self._algorithm, headers=headers)

    def _token_request(self, token_url: str, dpop_proof: str | None) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(token_url),
        }
        if self._scope:
            form["scope"] = self._scope
        headers = {"Accept": "application/json"}
        if dpop_proof is not None:
            headers["DPoP"] = dpop_proof
        return httpx.Request("POST", token_url, data=form, headers=headers)
