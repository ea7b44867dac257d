"""Token introspection (RFC 7662) for personal, opaque and — in strict mode — JWT access tokens.

The request is RFC 7662 §2.1: ``POST`` a form with ``token`` (and a hint), authenticated as the
resource server's own credential with ``client_secret_basic`` (RFC 6749 §2.3.1: client ID and secret
form-encoded, then Base64). The answer (§2.2) is trusted only when ``active`` is exactly ``true``, and
is still checked against our issuer, audience and clock when it names them.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote_plus

import httpx

from tokensmith.verify.claims import accepts_audience, principal_from_claims
from tokensmith.verify.errors import InvalidTokenError, VerifierUnavailableError
from tokensmith.verify.flow import json_object
from tokensmith.verify.principal import Principal

__all__ = ["basic_authorization", "introspection_request", "principal_from_introspection"]


def basic_authorization(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1 ``client_secret_basic``: each part form-urlencoded before Base64."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def introspection_request(
    endpoint: str, token: str, *, client_id: str, client_secret: str, hint: str = "access_token"
) -> httpx.Request:
    return httpx.Request(
        "POST",
        endpoint,
        data={"token": token, "token_type_hint": hint},
        headers={
            "Authorization": basic_authorization(client_id, client_secret),
            "Accept": "application/json",
        },
    )


def _check_response(response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (400, 401, 403):
        raise VerifierUnavailableError(
            "The authorization server refused this resource server's introspection request.",
            detail=f"introspection -> {response.status_code}",
        )
    return json_object(response, "introspection endpoint")


def principal_from_introspection(
    response: httpx.Response, *, issuer: str, audience: str | Collection[str], now: float, leeway: float
) -> Principal:
    """An active token's Principal; :class:`InvalidTokenError` when inactive or not meant for us."""
    body: Mapping[str, Any] = _check_response(response)
    if body.get("active") is not True:
        raise InvalidTokenError("The access token is not active.")
    if "iss" in body and body["iss"] != issuer:
        raise InvalidTokenError("The access token was issued by another issuer.")
    if "aud" in body and not accepts_audience(body["aud"], audience):
        raise InvalidTokenError("The access token is meant for another audience.")
    exp = body.get("exp")
    if exp is not None and (isinstance(exp, bool) or not isinstance(exp, int | float) or now > exp + leeway):
        raise InvalidTokenError("The access token expired.")
    if not isinstance(body.get("sub"), str) or not body["sub"]:
        raise InvalidTokenError("The authorization server did not name the token's subject.")
    claims = dict(body)
    if "sub_kind" not in claims:
        claims["sub_kind"] = "user" if claims.get("token_use") == "personal" else "client"
    return principal_from_claims(claims)
