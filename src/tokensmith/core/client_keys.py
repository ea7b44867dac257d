"""A ``private_key_jwt`` credential's public keys (RFC 7517 JWK Set, RFC 7638 thumbprints).

A credential that authenticates with signed assertions (RFC 7523 §2.2) registers public keys
only: a JWK Set of one or several keys (several while a client rotates), or a ``jwks_uri``
where the client publishes them. This module owns the rules every door applies to such keys:

* asymmetric key types only: ``EC`` (P-256, P-384, P-521), ``OKP`` (Ed25519, Ed448) and ``RSA``
  of at least 2048 bits. ``oct`` (a shared secret) is refused: it would be a client secret
  under another name, and RFC 7523 §2.2 private_key_jwt is about keys the server never holds;
* no private member (``d``, ``p``, ``q``, ``dp``, ``dq``, ``qi``, ``oth``, ``k``): a key that
  carries them is refused outright, never silently stripped, because whoever sent it has
  leaked the private key and must make a new one;
* ``use``, when present, is ``sig``; ``alg``, when present, is one of the accepted algorithms;
* at most :data:`MAX_KEYS` keys, no two with the same thumbprint or the same ``kid``.

A key is named by its RFC 7638 §3 SHA-256 thumbprint, shown instead of a secret. Pure: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import jwt

from tokensmith.core.errors import BadRequest

MAX_KEYS = 10
MAX_JWKS_BYTES = 64 * 1024
MAX_JWKS_URI_LENGTH = 2000
MIN_RSA_BITS = 2048

#: The algorithms accepted when the deployment configures none (RFC 7518 §3.1, RFC 8037 §3.1).
DEFAULT_ALGORITHMS = ("ES256", "EdDSA", "RS256", "PS256")
#: Every algorithm a deployment may accept: asymmetric signatures only, never ``none`` or ``HS*``.
SUPPORTED_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)

_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: RFC 7638 §3.2: the required members each key type's thumbprint is computed over.
_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
#: The members kept when a key is stored (the public key and what selects it).
_KEPT_MEMBERS = frozenset({"kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"})
_CURVES = {"EC": frozenset({"P-256", "P-384", "P-521"}), "OKP": frozenset({"Ed25519", "Ed448"})}
#: Which key types can verify which algorithm family (RFC 7518 §3.1).
_ALGORITHM_KEY_TYPE = {"ES": "EC", "Ed": "OKP", "RS": "RSA", "PS": "RSA"}


class ClientAuthMethod(StrEnum):
    """How a credential authenticates at the token endpoint (RFC 7591 §2 names)."""

    CLIENT_SECRET = "client_secret"
    PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True)
class ClientKey:
    """One registered public key: the JWK as stored and its RFC 7638 thumbprint."""

    jwk: Mapping[str, Any]
    thumbprint: str

    @property
    def kid(self) -> str | None:
        kid = self.jwk.get("kid")
        return kid if isinstance(kid, str) else None

    @property
    def kty(self) -> str:
        return str(self.jwk["kty"])

    def can_verify(self, algorithm: str) -> bool:
        """Whether this key's type (and ``alg``, when the key names one) fits ``algorithm``."""
        if _ALGORITHM_KEY_TYPE.get(algorithm[:2]) != self.kty:
            return False
        return self.jwk.get("alg") in (None, algorithm)


def key_type_of(algorithm: str) -> str | None:
    """The key type that verifies ``algorithm`` (``EC`` for ``ES256``…), or ``None``."""
    return _ALGORITHM_KEY_TYPE.get(algorithm[:2])


def parse_algorithms(text: str) -> tuple[str, ...]:
    """The accepted algorithms from a comma-separated setting; refuses anything not asymmetric."""
    names = tuple(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    unknown = [a for a in names if a not in SUPPORTED_ALGORITHMS]
    if unknown or not names:
        raise ValueError(
            f"client assertion algorithms must be among {', '.join(sorted(SUPPORTED_ALGORITHMS))}; "
            f"got {text!r}"
        )
    return names


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_length(value: str) -> int:
    padded = value + "=" * (-len(value) % 4)
    try:
        return len(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        return -1


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 §3: base64url(SHA-256(the required members, sorted, no whitespace))."""
    members = _THUMBPRINT_MEMBERS[str(jwk["kty"])]
    canonical = json.dumps({m: jwk[m] for m in members}, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _invalid(message: str, index: int) -> BadRequest:
    return BadRequest(f"key {index + 1} of the JWK Set: {message}", field="jwks")


def parse_key(jwk: Any, algorithms: Iterable[str], index: int = 0) -> ClientKey:
    """One public JWK checked against the rules above, or :class:`BadRequest` saying why not."""
    if not isinstance(jwk, Mapping):
        raise _invalid("a key must be a JSON object", index)
    kty = jwk.get("kty")
    if kty == "oct":
        raise _invalid("symmetric (oct) keys are not accepted; register a public key", index)
    if kty not in _THUMBPRINT_MEMBERS:
        raise _invalid("kty must be EC, OKP or RSA", index)
    private = sorted(_PRIVATE_MEMBERS & set(jwk))
    if private:
        raise _invalid(
            f"it holds private key material ({', '.join(private)}); register the public key only "
            "and replace this key pair, since its private half has been exposed",
            index,
        )
    for member in _THUMBPRINT_MEMBERS[kty]:
        if not isinstance(jwk.get(member), str) or not jwk[member]:
            raise _invalid(f"the member {member} is required", index)
    if kty in _CURVES and jwk["crv"] not in _CURVES[kty]:
        raise _invalid(f"curve {str(jwk['crv'])[:20]!r} is not accepted for {kty}", index)
    if kty == "RSA" and _b64url_length(jwk["n"]) * 8 < MIN_RSA_BITS:
        raise _invalid(f"RSA keys must have at least {MIN_RSA_BITS} bits", index)
    if "use" in jwk and jwk["use"] != "sig":
        raise _invalid('use must be "sig"', index)
    allowed = tuple(algorithms)
    if "alg" in jwk and (jwk["alg"] not in allowed or key_type_of(str(jwk["alg"])) != kty):
        raise _invalid(f"alg must be one of {', '.join(a for a in allowed if key_type_of(a) == kty)}", index)
    if "kid" in jwk and (not isinstance(jwk["kid"], str) or not 0 < len(jwk["kid"]) <= 200):
        raise _invalid("kid must be a string of 1 to 200 characters", index)
    kept = {name: value for name, value in jwk.items() if name in _KEPT_MEMBERS}
    try:
        jwt.PyJWK(kept, algorithm=_some_algorithm(kty))
    except (jwt.PyJWTError, ValueError, TypeError):
        raise _invalid("it is not a valid public key", index) from None
    return ClientKey(jwk=kept, thumbprint=thumbprint(kept))


def _some_algorithm(kty: str) -> str:
    return {"EC": "ES256", "OKP": "EdDSA", "RSA": "RS256"}[kty]


def parse_jwks(document: Any, algorithms: Iterable[str]) -> tuple[ClientKey, ...]:
    """A JWK Set (``{"keys": [...]}``) or one JWK, as checked keys (at least one)."""
    if isinstance(document, Mapping) and "keys" in document:
        keys = document["keys"]
        if not isinstance(keys, list):
            raise BadRequest("the JWK Set's keys must be a list", field="jwks")
    elif isinstance(document, Mapping):
        keys = [document]
    else:
        raise BadRequest('jwks must be a JWK Set ({"keys": [...]}) or one JWK', field="jwks")
    if not keys:
        raise BadRequest("the JWK Set holds no key", field="jwks")
    if len(keys) > MAX_KEYS:
        raise BadRequest(f"a credential may hold at most {MAX_KEYS} keys", field="jwks")
    allowed = tuple(algorithms)
    parsed = tuple(parse_key(key, allowed, i) for i, key in enumerate(keys))
    return check_distinct(parsed)


def check_distinct(keys: tuple[ClientKey, ...]) -> tuple[ClientKey, ...]:
    """``keys`` when no two share a thumbprint or a ``kid``; else :class:`BadRequest`."""
    prints = [k.thumbprint for k in keys]
    kids = [k.kid for k in keys if k.kid is not None]
    if len(set(prints)) != len(prints):
        raise BadRequest("the same key appears twice", field="jwks")
    if len(set(kids)) != len(kids):
        raise BadRequest("two keys share one kid", field="jwks")
    return keys


def parse_json_jwks(text: str, algorithms: Iterable[str]) -> tuple[ClientKey, ...]:
    """:func:`parse_jwks` of a JSON text (a file, a form's textarea)."""
    if len(text.encode("utf-8")) > MAX_JWKS_BYTES:
        raise BadRequest(f"the JWK Set exceeds {MAX_JWKS_BYTES} bytes", field="jwks")
    try:
        document = json.loads(text)
    except ValueError:
        raise BadRequest("the JWK Set is not valid JSON", field="jwks") from None
    return parse_jwks(document, algorithms)


def jwks_document(keys: Iterable[ClientKey]) -> dict[str, Any]:
    """The JWK Set of ``keys`` as stored and published (RFC 7517 §5)."""
    return {"keys": [dict(k.jwk) for k in keys]}


def check_jwks_uri(uri: str, *, require_https: bool) -> str:
    """A ``jwks_uri`` as registered (RFC 7591 §2): an absolute http(s) URL with a host, no
    credentials and no fragment; ``https`` unless ``require_https`` is off (development)."""
    uri = uri.strip()
    if not uri or len(uri) > MAX_JWKS_URI_LENGTH:
        raise BadRequest(
            f"jwks_uri must be a URL of at most {MAX_JWKS_URI_LENGTH} characters", field="jwks_uri"
        )
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise BadRequest("jwks_uri is not a valid URL", field="jwks_uri") from None
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise BadRequest(f"jwks_uri must be an absolute {' or '.join(allowed)} URL", field="jwks_uri")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise BadRequest("jwks_uri may carry no credentials and no fragment", field="jwks_uri")
    return uri
