"""Correctness before speed: one sample request per target, and its access token verified.

A token target must answer 200 with an RFC 9068 JWT (``typ: at+jwt``) signed with the expected
algorithm under a key from the target's own JWKS; the signature is checked with PyJWT. A
DPoP-bound token must also carry its proofs' key thumbprint as ``cnf.jkt``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from harness.loadgen import RequestSpec


class CheckError(RuntimeError):
    """A target answered the sample request wrongly."""


@dataclass(frozen=True)
class TokenExpectation:
    """What a token target's access token must be."""

    alg: str
    jwks_path: str
    typ: str = "at+jwt"
    #: A DPoP-bound token's ``cnf.jkt`` (RFC 9449 §6.1): the proofs' key thumbprint.
    jkt: str | None = None


def _fetch(url: str, spec: RequestSpec | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if spec is not None:
        request = urllib.request.Request(
            url, data=spec.body.encode(), headers=spec.headers, method=spec.method
        )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def sample_response(base_url: str, spec: RequestSpec) -> dict[str, Any]:
    """Send ``spec`` once; it must answer 200 with a JSON object."""
    status, body = _fetch(base_url + spec.path, spec)
    if status != 200:
        raise CheckError(f"sample request answered {status}: {body[:500]!r}")
    try:
        parsed = json.loads(body)
    except ValueError as error:
        raise CheckError(f"sample response is not JSON: {body[:500]!r}") from error
    if not isinstance(parsed, dict):
        raise CheckError(f"sample response is not a JSON object: {body[:500]!r}")
    return parsed


def expect_members(response: dict[str, Any], expect: dict[str, Any]) -> None:
    """Every member of ``expect`` is in ``response`` with that value (``...``: any value)."""
    for name, value in expect.items():
        if name not in response or (value is not ... and response[name] != value):
            raise CheckError(f"sample response has {name}={response.get(name)!r}, expected {value!r}")


def _signing_key(base_url: str, jwks_path: str, kid: str | None) -> jwt.PyJWK:
    status, body = _fetch(base_url + jwks_path)
    if status != 200:
        raise CheckError(f"JWKS {jwks_path} answered {status}")
    keys = jwt.PyJWKSet.from_json(body.decode()).keys
    matching = [key for key in keys if kid is None or key.key_id == kid]
    if not matching:
        raise CheckError(f"no key with kid {kid!r} in {jwks_path}")
    return matching[0]


def verify_access_token(base_url: str, response: dict[str, Any], expect: TokenExpectation) -> dict[str, Any]:
    """Check the sample's access token is a JWT of the expected kind; return its header."""
    token = response.get("access_token")
    if not isinstance(token, str) or token.count(".") != 2:
        raise CheckError(f"access_token is not a JWS compact JWT: {token!r:.120}")
    header = jwt.get_unverified_header(token)
    if header.get("alg") != expect.alg or header.get("typ") != expect.typ:
        raise CheckError(f"JWT header {header} is not alg {expect.alg}, typ {expect.typ}")
    key = _signing_key(base_url, expect.jwks_path, header.get("kid"))
    try:
        claims = jwt.decode(token, key=key, algorithms=[expect.alg], options={"verify_aud": False})
    except jwt.PyJWTError as error:
        raise CheckError(f"access token does not verify: {error}") from error
    if expect.jkt is not None and claims.get("cnf") != {"jkt": expect.jkt}:
        raise CheckError(f"access token's cnf is {claims.get('cnf')!r}, expected jkt {expect.jkt!r}")
    return header
