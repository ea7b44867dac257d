"""``POST /oauth2/token`` failures (RFC 6749 §2.3.1, §3.2, §5.2): exact statuses and bodies."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import event

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    FORM,
    SQLITE_ONLY,
    TOKEN,
    assert_oauth_error,
    assert_token_response,
    basic,
)
from tokensmith.core import ids
from tokensmith.core import secrets as sf
from tokensmith.services.container import Services
from tokensmith.settings import Settings


def wrong_secret_for(secret: str) -> str:
    """A well-formed secret (valid checksum) that is not ``secret``."""
    other = sf.generate("tss_")
    assert other != secret
    return other


def test_wrong_secret_is_401_invalid_client_with_basic_challenge(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, wrong_secret_for(cred.client_secret))
    )
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)


def test_wrong_secret_in_body_is_401_without_basic_challenge(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={
            **CLIENT_CREDENTIALS,
            "client_id": cred.client_id,
            "client_secret": wrong_secret_for(cred.client_secret),
        },
    )
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=False)


def test_unknown_client_looks_exactly_like_a_wrong_secret(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    wrong = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, wrong_secret_for(cred.client_secret))
    )
    unknown = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(ids.new_client_id(), sf.generate("tss_"))
    )
    assert_oauth_error(unknown, 401, "invalid_client", basic_challenge=True)
    assert unknown.content == wrong.content
    assert {k: v for k, v in unknown.headers.items() if k != "content-length"} == {
        k: v for k, v in wrong.headers.items() if k != "content-length"
    }


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    """No webhook poll during these tests: its periodic claim would check out a connection too."""
    return settings_factory(webhook_poll_seconds=3600)


def test_bad_checksum_is_refused_without_touching_the_database(
    client: Any, make_credential: Any, services: Services
) -> None:
    cred = make_credential()
    tampered = cred.client_secret[:-1] + ("A" if cred.client_secret[-1] != "A" else "B")
    assert not sf.is_well_formed(tampered, "tss_")
    checkouts: list[object] = []

    def count(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checkouts.append(dbapi_connection)

    # Every database access, through Core or a raw DBAPI connection, checks one out of the pool.
    event.listen(services.database.engine, "checkout", count)
    try:
        # A control request proves the listener sees the hot path's lookup…
        good = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
        assert good.status_code == 200
        assert checkouts, "the listener must see the credential lookup"
        services.usage.flush()  # nothing left for the background flusher to write meanwhile
        checkouts.clear()
        # …and the tampered secret causes none.
        response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, tampered))
        body_response = client.post(
            TOKEN, data={**CLIENT_CREDENTIALS, "client_id": cred.client_id, "client_secret": tampered}
        )
        unknown_id = client.post(
            TOKEN, data=CLIENT_CREDENTIALS, headers=basic("not-a-client-id", cred.client_secret)
        )
    finally:
        event.remove(services.database.engine, "checkout", count)
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)
    assert_oauth_error(body_response, 401, "invalid_client", basic_challenge=False)
    assert_oauth_error(unknown_id, 401, "invalid_client", basic_challenge=True)
    assert checkouts == []


def test_basic_credentials_are_form_decoded(client: Any, make_credential: Any) -> None:
    """RFC 6749 §2.3.1: client ID and secret are form-encoded before base64."""
    cred = make_credential()
    # quote_plus of a base32 ID / base62 secret is the identity — still the canonical form.
    response = client.post(
        TOKEN,
        data=CLIENT_CREDENTIALS,
        headers=basic(quote_plus(cred.client_id), quote_plus(cred.client_secret)),
    )
    assert_token_response(response, scope="api/access")
    # Decoding is really applied: percent-encoding every character still authenticates.
    every_char = "".join(f"%{ord(c):02X}" for c in cred.client_id)
    secret_underscore = cred.client_secret.replace("_", "%5F")
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(every_char, secret_underscore))
    assert_token_response(response, scope="api/access")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda cid, sec: (cid + "%3Ax", sec),  # → "<id>:x"
        lambda cid, sec: (cid[:-1] + "+", sec),  # "+" → space
        lambda cid, sec: (cid + "%25", sec),  # → "%"
        lambda cid, sec: (cid, sec[:-1] + "%3A"),
        lambda cid, sec: (cid, sec + "+"),
        lambda cid, sec: (cid, sec[:10] + "%25" + sec[10:]),
        lambda cid, sec: (cid, sec + ":extra"),  # a raw ":" after the first belongs to the secret
        lambda cid, sec: (cid, sec + "%C3%A9"),  # non-ASCII after decoding
    ],
    ids=[
        "id-colon",
        "id-plus",
        "id-percent",
        "secret-colon",
        "secret-plus",
        "secret-percent",
        "raw-colon",
        "non-ascii",
    ],
)
def test_encoded_characters_change_the_credentials_to_wrong_ones(
    client: Any, make_credential: Any, mangle: Any
) -> None:
    cred = make_credential()
    client_id, secret = mangle(cred.client_id, cred.client_secret)
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(client_id, secret))
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)


# An invalid escape (``%zz``) no longer "stays literal": it is an invalid_request
# (tests/http/test_http_hostile_input.py::test_basic_credentials_that_do_not_decode_are_invalid_request).


@SQLITE_ONLY
@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xfa\xfb").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"abc:def").decode()[:-1],  # bad padding
        "Basic",
        "Bearer sometoken",
        "Digest username=x",
    ],
    ids=["not-base64", "no-colon", "not-utf8", "bad-padding", "empty", "bearer", "digest"],
)
def test_malformed_authorization_is_invalid_request(client: Any, header: str) -> None:
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers={"Authorization": header})
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)


@SQLITE_ONLY
def test_two_authorization_headers_are_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    auth = basic(cred.client_id, cred.client_secret)["Authorization"]
    response = client.post(
        TOKEN,
        content="grant_type=client_credentials",
        headers=[("Content-Type", FORM["Content-Type"]), ("Authorization", auth), ("Authorization", auth)],
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_basic_and_body_secret_together_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "client_id": cred.client_id, "client_secret": cred.client_secret},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
def test_basic_with_a_different_body_client_id_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "client_id": ids.new_client_id()},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
def test_body_secret_without_client_id_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(TOKEN, data={**CLIENT_CREDENTIALS, "client_secret": cred.client_secret})
    assert_oauth_error(response, 400, "invalid_request")


def test_no_client_authentication_is_invalid_client(client: Any) -> None:
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS)
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=False)


@SQLITE_ONLY
@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=api%2Faccess&scope=api%2Faccess",
        "",
        "scope=api%2Faccess",
        "grant_type=",
    ],
    ids=["repeated-grant-type", "repeated-scope", "empty-body", "missing-grant-type", "empty-grant-type"],
)
def test_repeated_or_missing_parameters_are_invalid_request(
    client: Any, make_credential: Any, body: str
) -> None:
    cred = make_credential()
    response = client.post(TOKEN, content=body, headers={**FORM, **basic(cred.client_id, cred.client_secret)})
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)


@SQLITE_ONLY
@pytest.mark.parametrize(
    "grant_type",
    ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "CLIENT_CREDENTIALS"],
)
def test_unknown_grant_is_unsupported_grant_type(client: Any, make_credential: Any, grant_type: str) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN, data={"grant_type": grant_type}, headers=basic(cred.client_id, cred.client_secret)
    )
    assert_oauth_error(response, 400, "unsupported_grant_type")


@SQLITE_ONLY
def test_bad_scope_syntax_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "scope": "api/access  project:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
def test_json_body_on_the_canonical_route_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        content=json.dumps(CLIENT_CREDENTIALS),
        headers={"Content-Type": "application/json", **basic(cred.client_id, cred.client_secret)},
    )
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
@pytest.mark.parametrize("content_type", [None, "text/plain", "multipart/form-data; boundary=x"])
def test_other_media_types_are_invalid_request(
    client: Any, make_credential: Any, content_type: str | None
) -> None:
    cred = make_credential()
    headers = basic(cred.client_id, cred.client_secret)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(TOKEN, content=b"grant_type=client_credentials", headers=headers)
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
def test_form_content_type_with_charset_is_accepted(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        content=b"grant_type=client_credentials",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            **basic(cred.client_id, cred.client_secret),
        },
    )
    assert_token_response(response, scope="api/access")


@SQLITE_ONLY
def test_non_utf8_body_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        content=b"grant_type=client_credentials&scope=%FF\xff",
        headers={**FORM, **basic(cred.client_id, cred.client_secret)},
    )
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
def test_one_megabyte_body_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    big = b"grant_type=client_credentials&pad=" + b"a" * (1024 * 1024)
    response = client.post(TOKEN, content=big, headers={**FORM, **basic(cred.client_id, cred.client_secret)})
    assert_oauth_error(response, 413, "invalid_request")


@SQLITE_ONLY
def test_one_megabyte_chunked_body_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()

    def chunks() -> Any:
        yield b"grant_type=client_credentials&pad="
        for _ in range(64):
            yield b"a" * 16384

    response = client.post(
        TOKEN, content=chunks(), headers={**FORM, **basic(cred.client_id, cred.client_secret)}
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_oauth_error(response, 413, "invalid_request")


@SQLITE_ONLY
def test_too_many_parameters_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    body = "grant_type=client_credentials&" + "&".join(f"p{i}=x" for i in range(100))
    response = client.post(TOKEN, content=body, headers={**FORM, **basic(cred.client_id, cred.client_secret)})
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
@pytest.mark.log_guard_ignore("httpx")  # the test client logs the URL this test puts the secret in
@pytest.mark.parametrize("where", ["all", "secret-only", "grant-only"])
def test_parameters_in_the_query_string_are_invalid_request(
    client: Any, make_credential: Any, where: str
) -> None:
    cred = make_credential()
    query = {
        "all": {
            "grant_type": "client_credentials",
            "client_id": cred.client_id,
            "client_secret": cred.client_secret,
        },
        "secret-only": {"client_id": cred.client_id, "client_secret": cred.client_secret},
        "grant-only": {"grant_type": "client_credentials"},
    }[where]
    url = TOKEN + "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
    data = {} if where == "all" else {"grant_type": "client_credentials"}
    headers = basic(cred.client_id, cred.client_secret) if where == "grant-only" else {}
    response = client.post(url, data=data, headers={**FORM, **headers})
    assert_oauth_error(response, 400, "invalid_request")


@SQLITE_ONLY
def test_get_is_not_allowed(client: Any) -> None:
    response = client.get(TOKEN)
    assert response.status_code == 405
    assert "access_token" not in response.text
