"""Proof Key for Code Exchange (RFC 7636), ``S256`` only (OAuth 2.1 draft §4.1.1, §7.5.2).

``plain`` is refused: it protects nothing against an attacker who can read the authorization
request, and every current client library speaks ``S256``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from tokensmith.core.errors import InvalidGrant, InvalidRequest

S256 = "S256"
METHODS_SUPPORTED = (S256,)
#: RFC 7636 §4.1: ``code-verifier = 43*128unreserved``.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
#: RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is exactly 43 characters.
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def check_challenge(challenge: str | None, method: str | None) -> str:
    """The ``code_challenge`` of an authorization request (RFC 7636 §4.3), or ``invalid_request``.

    The method defaults to ``plain`` when omitted (§4.3), so an omitted method is refused too.
    """
    if not challenge:
        raise InvalidRequest("code_challenge is required (PKCE, RFC 7636); use code_challenge_method=S256.")
    if method != S256:
        shown = "omitted (which means plain)" if method is None else repr(method[:20])
        raise InvalidRequest(f"code_challenge_method must be S256; {shown} is not supported.")
    if not _CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be the 43-character base64url SHA-256 of the verifier.")
    return challenge


def challenge_of(verifier: str) -> str:
    """RFC 7636 §4.2: ``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str | None, challenge: str) -> None:
    """RFC 7636 §4.6: the verifier must hash to the stored challenge, else ``invalid_grant``.

    A missing verifier is ``invalid_request`` (§4.5 makes it required); a malformed or wrong one
    is ``invalid_grant`` (§4.6).
    """
    if not verifier:
        raise InvalidRequest("code_verifier is required (PKCE, RFC 7636 §4.5).")
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant("The code_verifier is malformed (RFC 7636 §4.1).")
    if not hmac.compare_digest(challenge_of(verifier), challenge):
        raise InvalidGrant("The code_verifier does not match the code_challenge.")
