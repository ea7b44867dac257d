"""The client credentials grant on the wire: the token request and its response.

- RFC 6749 §4.4.2: ``POST`` a form body ``grant_type=client_credentials`` (+ ``scope``).
- RFC 6749 §2.3.1: the client authenticates with HTTP Basic (``client_secret_basic``), where the client
  id and secret are each *form-urlencoded* (Appendix B) before being joined by ``:`` and base64-encoded,
  so an id or secret holding ``:``, ``+`` or ``%`` survives; or with ``client_id`` and ``client_secret``
  in the form body (``client_secret_post``).
- RFC 6749 §5.1: a success is a JSON object with ``access_token``, ``token_type`` and ``expires_in``;
  §5.2: an error is ``{"error", "error_description"?, "error_uri"?}``.
- RFC 6750: ``Bearer`` tokens are accepted; and ``DPoP`` tokens (RFC 9449 §5) when the request
  carried a DPoP proof.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import quote_plus

import httpx

from tokensmith.client.errors import TokenRequestError
from tokensmith.client.retry import parse_retry_after
from tokensmith.client.secret import Secret

AuthMethod = Literal["client_secret_basic", "client_secret_post"]
AUTH_METHODS: Final[tuple[AuthMethod, ...]] = ("client_secret_basic", "client_secret_post")

#: Lifetime assumed when a response omits ``expires_in`` (RFC 6749 §5.1 makes it only RECOMMENDED).
DEFAULT_EXPIRES_IN: Final = 300.0


@dataclass(frozen=True)
class AccessToken:
    """A token from the token endpoint, and when (on the SDK's clock) it stops being usable."""

    value: Secret
    expires_at: float
    obtained_at: float
    scope: str | None = None
    #: ``Bearer`` (RFC 6750) or ``DPoP`` (RFC 9449 §5: bound to the key that signed the request's proof).
    token_type: str = "Bearer"

    @property
    def lifetime(self) -> float:
        return self.expires_at - self.obtained_at

    def is_fresh(self, now: float, renew_margin: float) -> bool:
        """Still good for at least the margin (at most half its lifetime, so short tokens get reused)."""
        margin = min(renew_margin, self.lifetime / 2)
        return now < self.expires_at - margin


def basic_credentials(client_id: str, client_secret: str) -> str:
    """The ``Authorization`` value for ``client_secret_basic`` (RFC 6749 §2.3.1, RFC 7617)."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")


def token_request(
    token_url: str,
    *,
    client_id: str,
    client_secret: Secret,
    scope: str | None,
    auth_method: AuthMethod,
    dpop_proof: str | None = None,
) -> httpx.Request:
    """Build the RFC 6749 §4.4.2 access token request (with a ``DPoP`` proof header, RFC 9449 §5)."""
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    headers = {"Accept": "application/json"}
    if dpop_proof is not None:
        headers["DPoP"] = dpop_proof
    if auth_method == "client_secret_basic":
        headers["Authorization"] = basic_credentials(client_id, client_secret.reveal())
    else:
        form["client_id"] = client_id
        form["client_secret"] = client_secret.reveal()
    return httpx.Request("POST", token_url, data=form, headers=headers)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        document = json.loads(response.content)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def token_error(response: httpx.Response, *, now: float) -> TokenRequestError:
    """The exception for an error response (RFC 6749 §5.2)."""
    document = _json_object(response) or {}
    error = document.get("error")
    description = document.get("error_description")
    uri = document.get("error_uri")
    return TokenRequestError(
        error if isinstance(error, str) and error else "unexpected_response",
        description if isinstance(description, str) else None,
        status_code=response.status_code,
        error_uri=uri if isinstance(uri, str) else None,
        retry_after=parse_retry_after(response, now=now),
    )


def parse_token_response(response: httpx.Response, *, obtained_at: float, dpop: bool = False) -> AccessToken:
    """Read a token response: a Bearer token (RFC 6749 §5.1, RFC 6750), with ``dpop`` also a DPoP
    token (RFC 9449 §5), or a :class:`TokenRequestError`."""
    if response.status_code != 200:
        raise token_error(response, now=obtained_at)
    document = _json_object(response)
    if document is None:
        raise TokenRequestError(
            "unexpected_response", "the token response is not a JSON object", status_code=200
        )
    access_token = document.get("access_token")
    token_type = document.get("token_type")
    expires_in = document.get("expires_in", DEFAULT_EXPIRES_IN)
    scope = document.get("scope")
    if not isinstance(access_token, str) or not access_token:
        raise TokenRequestError(
            "unexpected_response", "the token response has no access_token", status_code=200
        )
    accepted = {"bearer", "dpop"} if dpop else {"bearer"}
    if not isinstance(token_type, str) or token_type.lower() not in accepted:
        expected = "Bearer or DPoP (RFC 6750, RFC 9449)" if dpop else "Bearer (RFC 6750)"
        raise TokenRequestError(
            "unexpected_response", f"token_type {token_type!r} is not {expected}", status_code=200
        )
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
        raise TokenRequestError("unexpected_response", "expires_in is not a positive number", status_code=200)
    return AccessToken(
        value=Secret(access_token),
        expires_at=obtained_at + float(expires_in),
        obtained_at=obtained_at,
        scope=scope if isinstance(scope, str) else None,
        token_type="DPoP" if token_type.lower() == "dpop" else "Bearer",
    )
