"""The unknown-client path's dummy comparison is asserted, not
assumed. The token endpoint over HTTP (TestClient), SQLite and PostgreSQL: an unknown client ID
runs exactly one keyed-hash comparison — against the dummy hash — like a known client with a
wrong secret runs one against its stored hash, so the two look alike from outside."""

from __future__ import annotations

import hmac
from typing import Any

import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, assert_oauth_error, basic
from tokensmith.core import ids
from tokensmith.core import secrets as sf
from tokensmith.core.secrets import SecretHasher


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """Every ``SecretHasher.verify(secret, stored)`` call, and every ``hmac.compare_digest`` it makes."""
    calls: list[tuple[str, str | None]] = []
    original = SecretHasher.verify

    def spy(self: SecretHasher, secret: str, stored: str | None) -> bool:
        calls.append((secret, stored))
        return original(self, secret, stored)

    monkeypatch.setattr(SecretHasher, "verify", spy)
    return calls


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many constant-time digest comparisons ran (the work the dummy path must not skip)."""
    count: list[int] = []
    original = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        count.append(1)
        return original(a, b)

    monkeypatch.setattr("tokensmith.core.secrets.hmac.compare_digest", counting)
    return count


def test_an_unknown_client_still_runs_one_comparison_against_the_dummy(
    client: Any, make_credential: Any, comparisons: list[tuple[str, str | None]], digests: list[int]
) -> None:
    make_credential()  # the organisation exists; this client ID does not
    unknown_id, secret = ids.new_client_id(), sf.generate("tss_")
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(unknown_id, secret))
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)
    assert comparisons == [(secret, None)]  # the dummy comparison ran, with the presented secret
    unknown_digests = len(digests)
    assert unknown_digests >= 1


def test_a_wrong_secret_runs_the_same_single_comparison(
    client: Any, make_credential: Any, comparisons: list[tuple[str, str | None]], digests: list[int]
) -> None:
    cred = make_credential()
    wrong = sf.generate("tss_")
    comparisons.clear()
    digests.clear()
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, wrong))
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)
    assert comparisons == [(wrong, cred.credential.secret_hash)]
    wrong_digests = len(digests)
    digests.clear()
    comparisons.clear()
    unknown = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(ids.new_client_id(), wrong))
    assert unknown.status_code == 401
    assert comparisons == [(wrong, None)]
    assert len(digests) == wrong_digests  # the same constant-time work either way


def test_the_jwt_helper_pins_the_algorithm_to_the_published_key(
    client: Any, make_credential: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test helper that checks our JWTs takes the algorithm from the JWKS, not from the token."""
    import base64
    import json

    import jwt

    from tests.http import http_support

    cred = make_credential()
    issued = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    token = issued.json()["access_token"]
    assert http_support.verify_jwt(services, token)["sub"] == cred.client_id

    asked: list[list[str]] = []
    real_decode = jwt.decode

    def recording(*args: Any, **kwargs: Any) -> Any:
        asked.append(list(kwargs["algorithms"]))
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", recording)  # the module http_support calls
    header_segment, rest = token.split(".", 1)
    header = json.loads(base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4)))
    header["alg"] = "HS256"  # what an attacker would claim
    forged_header = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.PyJWTError):
        http_support.verify_jwt(services, f"{forged_header}.{rest}")
    assert asked == [["ES256"]]  # the key's algorithm, whatever the header claimed
