"""The claim rules of a client assertion (RFC 7523 §3), pure: time comes from the caller."""

from __future__ import annotations

from typing import Any

import pytest

from tokensmith.core.client_assertion import check_claims
from tokensmith.core.errors import InvalidClient

CLIENT = "c" * 26
AUD = ("https://as.test", "https://as.test/oauth2/token")
NOW = 1_800_000_000


def claims(**change: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"iss": CLIENT, "sub": CLIENT, "aud": AUD[1], "exp": NOW + 60, "jti": "j"}
    return {k: v for k, v in (base | change).items() if v is not None}


def check(values: dict[str, Any]) -> Any:
    return check_claims(values, client_id=CLIENT, audiences=AUD, now=NOW, max_lifetime=3600)


def test_a_good_assertion_gives_its_jti_and_exp() -> None:
    checked = check(claims(aud=[AUD[0], "https://other"], iat=NOW, nbf=NOW))
    assert (checked.client_id, checked.jti, checked.expires_at) == (CLIENT, "j", NOW + 60)


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "x"},
        {"sub": "x"},
        {"sub": None},
        {"aud": "https://as.test/"},
        {"aud": []},
        {"aud": [1]},
        {"aud": None},
        {"exp": None},
        {"exp": NOW - 31},
        {"exp": NOW + 3600 + 31},
        {"exp": "soon"},
        {"exp": True},
        {"iat": NOW + 31},
        {"nbf": NOW + 31},
        {"jti": None},
        {"jti": ""},
        {"jti": "j" * 257},
        {"jti": 7},
    ],
)
def test_every_bad_claim_is_invalid_client_with_one_public_description(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidClient) as caught:
        check(claims(**change))
    assert caught.value.description == "Client authentication failed."
    assert caught.value.detail.startswith("client assertion: ")


def test_clock_skew_within_the_leeway_is_tolerated() -> None:
    check(claims(exp=NOW - 29, iat=NOW + 29, nbf=NOW + 29))
    check(claims(exp=NOW + 3600 + 29))
