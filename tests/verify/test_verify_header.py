"""The unverified JOSE header is read from the first segment alone, strictly (RFC 7515 §2, §5.2)."""

from __future__ import annotations

import base64
import json
import string

import pytest

from tokensmith.verify import InvalidTokenError, Verifier
from tokensmith.verify.header import unverified_header
from tokensmith.verify.testing import FakeIssuer

ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def non_canonical(data: bytes) -> str:
    """``data`` base64url-encoded with one of the last character's unused low bits set."""
    while len(data) % 3 != 1:  # one trailing byte: the last character carries 4 unused bits
        data += b" "
    segment = _b64(data)
    last = ALPHABET[ALPHABET.index(segment[-1]) | 1]
    return segment[:-1] + last


def test_non_canonical_helper_changes_only_unused_bits() -> None:
    forged = non_canonical(b'{"alg":"ES256"}')
    decoded = base64.urlsafe_b64decode(forged + "=" * (-len(forged) % 4))
    assert json.loads(decoded) == {"alg": "ES256"}
    assert _b64(decoded) != forged


def test_reads_only_the_first_segment(issuer: FakeIssuer) -> None:
    token = issuer.mint()
    header, _, _ = token.split(".")
    assert unverified_header(f"{header}.!!!.???") == {
        "typ": "at+jwt",
        "kid": issuer.keys[0].kid,
        "alg": "ES256",
    }


@pytest.mark.parametrize(
    "segment",
    [
        pytest.param("", id="empty"),
        pytest.param("e30=", id="padded"),
        pytest.param("e30!", id="not base64url"),
        pytest.param("eyJ", id="impossible length"),
        pytest.param(_b64(b"not json"), id="not JSON"),
        pytest.param(_b64(b"[1, 2]"), id="JSON array"),
        pytest.param(_b64(b'"alg"'), id="JSON string"),
        pytest.param(_b64(b'{"alg": "\xff"}'), id="not UTF-8"),
        pytest.param(non_canonical(b'{"alg":"ES256","typ":"at+jwt","kid":"k"}'), id="non-canonical"),
    ],
)
def test_malformed_header_is_refused(segment: str) -> None:
    with pytest.raises(InvalidTokenError, match="malformed"):
        unverified_header(f"{segment}.e30.c2ln")


def test_non_canonical_header_on_a_real_token_is_refused(issuer: FakeIssuer, verifier: Verifier) -> None:
    header, payload, signature = issuer.mint().split(".")
    decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    with pytest.raises(InvalidTokenError, match="malformed"):
        verifier.verify(f"{non_canonical(decoded)}.{payload}.{signature}")
