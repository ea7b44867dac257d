"""The rules for a private_key_jwt credential's public keys (pure): public asymmetric keys only,
RFC 7638 thumbprints, JWKS URI shape."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.http.private_key_jwt_support import ClientKeyPair
from tokensmith.core.client_keys import (
    DEFAULT_ALGORITHMS,
    MAX_KEYS,
    check_jwks_uri,
    parse_algorithms,
    parse_json_jwks,
    parse_jwks,
    thumbprint,
)
from tokensmith.core.errors import BadRequest

ALGS = DEFAULT_ALGORITHMS


def test_the_rfc_7638_section_3_1_example_thumbprint() -> None:
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJE"
            "CPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Q"
            "vzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6"
            "WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert parse_jwks(jwk, ALGS)[0].thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_a_public_key_is_accepted_alone_or_in_a_set(alg: str) -> None:
    pair = ClientKeyPair(alg=alg)
    (alone,) = parse_jwks(pair.public_jwk, ALGS)
    (in_set,) = parse_jwks({"keys": [pair.public_jwk]}, ALGS)
    assert alone == in_set and alone.kid == pair.kid


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_a_private_key_is_refused_and_the_message_says_to_replace_it(alg: str) -> None:
    with pytest.raises(BadRequest, match="private key material.*replace"):
        parse_jwks({"keys": [ClientKeyPair(alg=alg).private_jwk]}, ALGS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kty": "oct", "k": "c2VjcmV0"}, "symmetric"),
        ({"kty": "EC", "crv": "secp256k1"}, "curve"),
        ({"use": "enc"}, "use"),
        ({"alg": "HS256"}, "alg"),
        ({"alg": "RS256"}, "alg"),  # an EC key cannot claim an RSA algorithm
        ({"kid": ""}, "kid"),
        ({"x": "AAAA"}, "not a valid public key"),
        ({"y": None}, "member y"),
    ],
)
def test_keys_that_are_not_usable_public_signing_keys_are_refused(
    change: dict[str, Any], message: str
) -> None:
    jwk = ClientKeyPair().public_jwk | change
    jwk = {k: v for k, v in jwk.items() if v is not None}
    with pytest.raises(BadRequest, match=message):
        parse_jwks(jwk, ALGS)


def test_short_rsa_keys_are_refused() -> None:
    jwk = ClientKeyPair(alg="RS256").public_jwk
    jwk["n"] = base64.urlsafe_b64encode(b"\xff" * 128).rstrip(b"=").decode()  # 1024 bits
    with pytest.raises(BadRequest, match="2048"):
        parse_jwks(jwk, ALGS)


def test_a_set_is_bounded_and_holds_no_duplicates() -> None:
    pair = ClientKeyPair()
    with pytest.raises(BadRequest, match="twice"):
        parse_jwks({"keys": [pair.public_jwk, pair.public_jwk | {"kid": "other"}]}, ALGS)
    with pytest.raises(BadRequest, match="kid"):
        parse_jwks({"keys": [pair.public_jwk, ClientKeyPair(kid=pair.kid).public_jwk]}, ALGS)
    with pytest.raises(BadRequest, match="at most"):
        parse_jwks({"keys": [ClientKeyPair().public_jwk for _ in range(MAX_KEYS + 1)]}, ALGS)
    empties: list[Any] = [{"keys": []}, {"keys": "x"}, [], "x"]
    for empty in empties:
        with pytest.raises(BadRequest):
            parse_jwks(empty, ALGS)
    with pytest.raises(BadRequest, match="JSON"):
        parse_json_jwks("{not json", ALGS)


def test_only_what_a_public_key_needs_is_kept() -> None:
    (key,) = parse_jwks(ClientKeyPair().public_jwk | {"x5u": "https://evil.test", "note": "hi"}, ALGS)
    assert set(key.jwk) == {"kty", "crv", "x", "y", "kid"}


def test_the_algorithms_setting_accepts_asymmetric_algorithms_only() -> None:
    assert parse_algorithms(" ES256, EdDSA ,ES256") == ("ES256", "EdDSA")
    for bad in ("HS256", "none", "", "ES256,RS1"):
        with pytest.raises(ValueError):
            parse_algorithms(bad)


@pytest.mark.parametrize(
    "uri",
    [
        "ftp://a.test/jwks",
        "https://user:pw@a.test/jwks",
        "https://a.test/jwks#x",
        "/relative",
        "https://",
        "x" * 3000,
    ],
)
def test_bad_jwks_uris_are_refused(uri: str) -> None:
    with pytest.raises(BadRequest):
        check_jwks_uri(uri, require_https=False)


def test_production_requires_https_jwks_uris() -> None:
    assert check_jwks_uri("https://a.test/jwks", require_https=True) == "https://a.test/jwks"
    assert check_jwks_uri("http://127.0.0.1:9/jwks", require_https=False) == "http://127.0.0.1:9/jwks"
    with pytest.raises(BadRequest, match="https"):
        check_jwks_uri("http://a.test/jwks", require_https=True)
