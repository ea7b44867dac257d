"""DPoP proofs (RFC 9449 §4) and the JWK thumbprint (RFC 7638) that binds a token to a key.

One implementation, shared by the authorization server (token endpoint, management API, MCP)
and by resource servers (:class:`tokensmith.verify.DPoPVerifier`): it does no I/O and reads
no clock of its own. :func:`check_proof` applies RFC 9449 §4.3's checks in order:

1. the proof is a compact JWS (§4.2) whose header has ``typ: dpop+jwt`` (point 4), an
   asymmetric ``alg`` from the accepted list (point 5: never ``none``, never a MAC) and a
   ``jwk`` that is a *public* key (point 7) of the type the ``alg`` needs;
2. the signature verifies with that ``jwk`` (point 6), through ``cryptography`` for ES256 and
   PyJWT's algorithm objects for the others (a header that passed point 4, 5 and 7 is
   remembered by its exact text, so a client's key is parsed once, not on every request);
3. ``jti``, ``htm``, ``htu`` and ``iat`` are present (point 3), ``htm`` is the request's
   method (point 8), ``htu`` its URI without query or fragment (point 9, compared after
   RFC 3986 §6.2.2/§6.2.3 normalisation), ``iat`` within the accepted window (point 11);
4. with an access token, ``ath`` is the base64url SHA-256 of it (point 12, §4.2);
5. with an expected nonce policy, ``nonce`` is one the server issued (point 10, §8).

Replay (§11.1, ``jti`` seen before) and the ``cnf.jkt`` match (§6, point 13) are the caller's
to check with :attr:`Proof.jti` and :attr:`Proof.jkt`: they need a cache and a token.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt

from tokensmith.verify import es256

#: RFC 9449 §5.1 ``dpop_signing_alg_values_supported``: asymmetric JWS algorithms only.
DPOP_ALGORITHMS: tuple[str, ...] = ("ES256", "EdDSA", "RS256", "PS256")
#: RFC 9449 §4.2: the proof's ``typ`` header.
DPOP_TYP = "dpop+jwt"
#: The longest proof looked at (a 4096-bit RSA ``jwk`` makes a proof of about 1.5 kB).
MAX_PROOF_LENGTH = 8192
#: Members that make a JWK private (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2): never in a proof.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: RFC 7638 §3.2: the members a thumbprint hashes, by key type.
_THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
}
#: What each accepted ``alg`` needs of the ``jwk``: its ``kty`` and, for curves, the ``crv``.
_KEY_FOR_ALG: dict[str, tuple[str, frozenset[str] | None]] = {
    "ES256": ("EC", frozenset({"P-256"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}
_MIN_RSA_BITS = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DPoPProofError(Exception):
    """The proof is missing, malformed or does not check out (RFC 9449 §7.1 ``invalid_dpop_proof``).
    ``description`` may be shown to the caller; nothing in it comes from a secret."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class DPoPNonceError(DPoPProofError):
    """The proof lacks the server's current nonce (RFC 9449 §8 ``use_dpop_nonce``)."""


@dataclass(frozen=True)
class Proof:
    """A proof that checked out: the key's thumbprint (``cnf.jkt``, RFC 9449 §6.1) and what a
    replay cache needs (``jti`` until ``iat`` leaves the window)."""

    jkt: str
    jti: str
    iat: int
    htu: str
    htm: str


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 §3: base64url SHA-256 of the required members, sorted, without whitespace."""
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None or not all(isinstance(jwk.get(name), str) for name in members):
        raise DPoPProofError("The proof's jwk is not an EC, OKP or RSA public key.")
    canonical = json.dumps({name: jwk[name] for name in members}, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def access_token_hash(access_token: str) -> str:
    """RFC 9449 §4.2 ``ath``: base64url SHA-256 of the access token's ASCII."""
    return b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def normalize_htu(uri: str) -> str:
    """RFC 9449 §4.3 point 9: the URI without query and fragment, scheme and host lowercased and
    the default port dropped (RFC 3986 §6.2.2.1, §6.2.3); an empty path is ``/``."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise DPoPProofError("The proof's htu is not a valid URI.") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        raise DPoPProofError("The proof's htu must be an absolute URI.")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def _public_key(header: Mapping[str, Any]) -> tuple[Any, str]:
    """The header's ``jwk`` as a verification key for its ``alg`` (§4.3 points 5 and 7)."""
    alg = header.get("alg")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise DPoPProofError("The proof's header must carry the public key as jwk.")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise DPoPProofError("The proof's jwk must not contain a private key.")
    kty, curves = _KEY_FOR_ALG[str(alg)]
    if jwk.get("kty") != kty or (curves is not None and jwk.get("crv") not in curves):
        raise DPoPProofError(f"The proof's jwk is not a key for {alg}.")
    try:
        key = jwt.PyJWK(dict(jwk), algorithm=str(alg)).key
    except (jwt.PyJWTError, ValueError, TypeError):
        raise DPoPProofError("The proof's jwk is not a valid public key.") from None
    if kty == "RSA" and key.key_size < _MIN_RSA_BITS:
        raise DPoPProofError(f"The proof's RSA key must have at least {_MIN_RSA_BITS} bits.")
    return key, str(alg)


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _segment(value: str) -> bytes:
    """One base64url segment of a compact JWS (RFC 7515 §2: no padding)."""
    if not _B64URL.fullmatch(value):
        raise DPoPProofError("The DPoP proof is not a compact JWS.")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raise DPoPProofError("The DPoP proof is not a compact JWS.") from None


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        # Decoded first: json.loads of bytes guesses their encoding, and RFC 8259 §8.1 says UTF-8.
        value = json.loads(_segment(segment).decode("utf-8"))
    except ValueError:
        raise DPoPProofError(f"The DPoP proof's {what} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise DPoPProofError(f"The DPoP proof's {what} is not a JSON object.")
    return value


def _signature_check(alg: str, key: Any) -> Callable[[bytes, bytes], bool]:
    """How a signature by ``key`` under ``alg`` is checked (§4.3 point 6): ES256, what clients
    send almost always, through :mod:`tokensmith.verify.es256`; the others through PyJWT."""
    if alg == "ES256":
        return functools.partial(es256.verifies, key)
    algorithm = jwt.get_algorithm_by_name(alg)
    return lambda signed, signature: bool(algorithm.verify(signed, key, signature))


@dataclass(frozen=True)
class _CheckedHeader:
    verifies: Callable[[bytes, bytes], bool]
    jkt: str


class _HeaderCache:
    """Headers that passed points 4, 5 and 7, by their exact base64url text: a client signs every
    proof with one key, so its header repeats and the key is parsed and checked once. Only what
    passed is kept, so a cached entry says no more than re-checking would; bounded, it is emptied
    when full."""

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._entries: dict[tuple[str, frozenset[str]], _CheckedHeader] = {}

    def checked(self, segment: str, algorithms: frozenset[str]) -> _CheckedHeader:
        found = self._entries.get((segment, algorithms))
        if found is not None:
            return found
        header = _json_object(segment, "header")
        if header.get("typ") != DPOP_TYP:
            raise DPoPProofError(f"The DPoP proof's typ must be {DPOP_TYP}.")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in algorithms or alg not in _KEY_FOR_ALG:
            raise DPoPProofError(f"The DPoP proof's alg must be one of {' '.join(sorted(algorithms))}.")
        if "crit" in header:
            raise DPoPProofError("The DPoP proof's header must not carry crit.")
        key, alg = _public_key(header)
        checked = _CheckedHeader(_signature_check(alg, key), thumbprint(header["jwk"]))
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[(segment, algorithms)] = checked
        return checked


_HEADERS = _HeaderCache()


@functools.lru_cache(maxsize=512)
def _normalized(uri: str) -> str:
    """:func:`normalize_htu`, remembered: a client names the same few URIs in every proof (a
    URI that fails raises every time; only results are kept)."""
    return normalize_htu(uri)


@functools.lru_cache(maxsize=256)
def _accepted(uris: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_normalized(uri) for uri in uris)


def check_proof(
    proof: str,
    *,
    method: str,
    uris: Collection[str],
    now: float,
    max_age: int,
    leeway: int,
    algorithms: Collection[str] = DPOP_ALGORITHMS,
    access_token: str | None = None,
    nonce_ok: Callable[[str | None], bool] | None = None,
) -> Proof:
    """Check ``proof`` (the ``DPoP`` header field's value) for a request, per RFC 9449 §4.3.

    ``uris``: the URIs the request may name in ``htu`` (normalised here; a server reachable under
    its issuer and its own address lists both). ``iat`` must lie in ``[now - max_age - leeway,
    now + leeway]``. ``nonce_ok``: when set, the proof's ``nonce`` (``None`` if absent) must
    satisfy it, else :class:`DPoPNonceError`. Raises :class:`DPoPProofError`.
    """
    if not proof or len(proof) > MAX_PROOF_LENGTH or proof.count(".") != 2:
        raise DPoPProofError("The DPoP proof is not a compact JWS.")
    head, body, signature = proof.split(".")
    checked = _HEADERS.checked(head, frozenset(algorithms))
    claims = _json_object(body, "payload")
    signed = f"{head}.{body}".encode("ascii")
    try:
        valid = checked.verifies(signed, _segment(signature))
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise DPoPProofError("The DPoP proof's signature does not verify with its jwk.")
    jti, htm, htu, iat = (claims.get(name) for name in ("jti", "htm", "htu", "iat"))
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise DPoPProofError("The DPoP proof must carry a jti.")
    if not isinstance(htm, str) or not isinstance(htu, str):
        raise DPoPProofError("The DPoP proof must carry htm and htu.")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise DPoPProofError("The DPoP proof must carry a numeric iat.")
    if htm != method.upper():
        raise DPoPProofError("The DPoP proof's htm does not match the request's method.")
    target = _normalized(htu)
    if target not in _accepted(tuple(uris)):
        raise DPoPProofError("The DPoP proof's htu does not match the request's URI.")
    if iat > now + leeway:
        raise DPoPProofError("The DPoP proof's iat is in the future.")
    if iat < now - max_age - leeway:
        raise DPoPProofError("The DPoP proof is too old (iat).")
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise DPoPProofError("The DPoP proof's ath does not match the access token.")
    if nonce_ok is not None:
        nonce = claims.get("nonce")
        if not nonce_ok(nonce if isinstance(nonce, str) else None):
            raise DPoPNonceError("Authorization server requires nonce in DPoP proof.")
    return Proof(jkt=checked.jkt, jti=jti, iat=int(iat), htu=target, htm=htm)
