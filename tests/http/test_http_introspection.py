"""Introspection (RFC 7662) and revocation (RFC 7009), with deletion and secret rotation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    INTROSPECT,
    REVOKE,
    SQLITE_ONLY,
    TOKEN,
    assert_no_store,
    assert_oauth_error,
    basic,
)
from tokensmith.core import secrets as sf
from tokensmith.core.actors import Actor
from tokensmith.core.clock import epoch

INACTIVE = {"active": False}
ACTIVE_MEMBERS = {
    "active",
    "scope",
    "client_id",
    "sub",
    "sub_kind",
    "org_id",
    "exp",
    "iat",
    "nbf",
    "aud",
    "iss",
    "jti",
    "token_type",
    "token_use",
}


def token_for(client: Any, cred: Any, **data: str) -> str:
    response = client.post(
        TOKEN, data={**CLIENT_CREDENTIALS, **data}, headers=basic(cred.client_id, cred.client_secret)
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]  # type: ignore[no-any-return]


def introspect(client: Any, caller: Any, token: str) -> Any:
    response = client.post(
        INTROSPECT, data={"token": token}, headers=basic(caller.client_id, caller.client_secret)
    )
    assert response.status_code == 200, response.text
    assert_no_store(response)
    return response.json()


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_active_token(client: Any, make_credential: Any, clock: Any, token_format: str) -> None:
    cred = make_credential(token_format=token_format, scopes=["api/access", "project:read"])
    caller = make_credential()  # any credential of the same organisation may introspect
    token = token_for(client, cred, scope="project:read")
    body = introspect(client, caller, token)
    assert set(body) >= ACTIVE_MEMBERS, body
    now = epoch(clock.now())
    assert body["active"] is True
    assert body["scope"] == "project:read"
    assert body["client_id"] == body["sub"] == cred.client_id
    assert (body["sub_kind"], body["org_id"]) == ("client", cred.credential.org_id)
    assert (body["iat"], body["nbf"], body["exp"]) == (now, now, now + 3600)
    assert body["iss"] == body["aud"] == "http://testserver"
    assert (body["token_type"], body["token_use"]) == ("Bearer", "access")
    # client_secret_post works too.
    posted = client.post(
        INTROSPECT,
        data={"token": token, "client_id": caller.client_id, "client_secret": caller.client_secret},
    )
    assert posted.json()["active"] is True


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "tsa_" + "0" * 36, "tsp_" + "0" * 36, "x" * 9000, "eyJhbGciOiJub25lIn0.e30."],
    ids=["empty", "garbage", "dots", "bad-opaque", "bad-personal", "huge", "alg-none"],
)
def test_unknown_tokens_are_exactly_inactive(client: Any, make_credential: Any, token: str) -> None:
    caller = make_credential()
    response = client.post(
        INTROSPECT, data={"token": token}, headers=basic(caller.client_id, caller.client_secret)
    )
    if token == "":
        assert_oauth_error(response, 400, "invalid_request")
    else:
        assert response.status_code == 200
        assert response.json() == INACTIVE


def test_a_well_formed_unknown_opaque_token_is_inactive(client: Any, make_credential: Any) -> None:
    caller = make_credential()
    assert introspect(client, caller, sf.generate("tsa_")) == INACTIVE


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_expired_tokens_are_inactive(
    client: Any, make_credential: Any, clock: Any, token_format: str
) -> None:
    cred = make_credential(token_format=token_format, ttl=600)
    token = token_for(client, cred)
    clock.advance(seconds=599)
    assert introspect(client, cred, token)["active"] is True
    clock.advance(seconds=1)
    assert introspect(client, cred, token) == INACTIVE


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_other_organisations_tokens_are_inactive(
    client: Any, make_credential: Any, make_org: Any, token_format: str
) -> None:
    cred = make_credential(token_format=token_format)
    stranger = make_credential(org=make_org())
    token = token_for(client, cred)
    assert introspect(client, stranger, token) == INACTIVE
    assert introspect(client, cred, token)["active"] is True


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_revoked_tokens_are_inactive(client: Any, make_credential: Any, token_format: str) -> None:
    cred = make_credential(token_format=token_format)
    token = token_for(client, cred)
    other_token = token_for(client, cred)
    response = client.post(REVOKE, data={"token": token}, headers=basic(cred.client_id, cred.client_secret))
    assert response.status_code == 200
    assert response.content == b""
    assert_no_store(response)
    assert introspect(client, cred, token) == INACTIVE
    assert introspect(client, cred, other_token)["active"] is True  # only that one
    again = client.post(REVOKE, data={"token": token}, headers=basic(cred.client_id, cred.client_secret))
    assert again.status_code == 200


@pytest.mark.parametrize("token", ["unknown", "tsa_" + "0" * 36, "eyJhbGciOiJub25lIn0.e30."])
def test_revoking_an_unknown_token_is_200(client: Any, make_credential: Any, token: str) -> None:
    cred = make_credential()
    response = client.post(
        REVOKE,
        data={"token": token, "token_type_hint": "access_token"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert response.status_code == 200
    assert response.content == b""


def test_revoking_another_organisations_token_is_200_and_changes_nothing(
    client: Any, make_credential: Any, make_org: Any
) -> None:
    cred = make_credential()
    stranger = make_credential(org=make_org())
    token = token_for(client, cred)
    response = client.post(
        REVOKE, data={"token": token}, headers=basic(stranger.client_id, stranger.client_secret)
    )
    assert response.status_code == 200
    assert introspect(client, cred, token)["active"] is True


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_revoking_a_colleagues_token_is_refused(client: Any, make_credential: Any, token_format: str) -> None:
    cred = make_credential(token_format=token_format)
    colleague = make_credential()
    token = token_for(client, cred)
    response = client.post(
        REVOKE, data={"token": token}, headers=basic(colleague.client_id, colleague.client_secret)
    )
    assert_oauth_error(response, 400, "unauthorized_client")
    assert introspect(client, cred, token)["active"] is True


@SQLITE_ONLY
@pytest.mark.parametrize("path", [INTROSPECT, REVOKE])
def test_introspection_and_revocation_need_client_authentication(
    client: Any, make_credential: Any, path: str
) -> None:
    cred = make_credential()
    token = token_for(client, cred)
    assert_oauth_error(client.post(path, data={"token": token}), 401, "invalid_client", basic_challenge=False)
    wrong = client.post(path, data={"token": token}, headers=basic(cred.client_id, sf.generate("tss_")))
    assert_oauth_error(wrong, 401, "invalid_client", basic_challenge=True)
    missing = client.post(path, data={}, headers=basic(cred.client_id, cred.client_secret))
    assert_oauth_error(missing, 400, "invalid_request")
    repeated = client.post(
        path,
        content=f"token={token}&token={token}",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **basic(cred.client_id, cred.client_secret),
        },
    )
    assert_oauth_error(repeated, 400, "invalid_request")


def test_deleted_credentials_tokens_are_inactive_and_its_secret_dies(
    client: Any, make_credential: Any, services: Any
) -> None:
    doomed_jwt = make_credential()
    doomed_opaque = make_credential(token_format="opaque")
    caller = make_credential()
    jwt_token, opaque_token = token_for(client, doomed_jwt), token_for(client, doomed_opaque)
    services.credentials.delete(Actor.system(), doomed_jwt.client_id)
    services.credentials.delete(Actor.system(), doomed_opaque.client_id)
    assert introspect(client, caller, jwt_token) == INACTIVE
    assert introspect(client, caller, opaque_token) == INACTIVE
    response = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(doomed_jwt.client_id, doomed_jwt.client_secret)
    )
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)


def test_rotation_without_grace_kills_the_old_secret_at_once(
    client: Any, make_credential: Any, services: Any, log_guard: Any
) -> None:
    cred = make_credential()
    rotated = services.credentials.regenerate(Actor.system(), cred.client_id)
    old = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    assert_oauth_error(old, 401, "invalid_client", basic_challenge=True)
    new = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, rotated.client_secret))
    assert new.status_code == 200


def test_rotation_with_grace_keeps_both_secrets_until_it_ends(
    client: Any, make_credential: Any, services: Any, clock: Any
) -> None:
    cred = make_credential()
    rotated = services.credentials.regenerate(Actor.system(), cred.client_id, grace_seconds=300)

    def status(secret: str) -> int:
        response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, secret))
        return int(response.status_code)

    assert (status(cred.client_secret), status(rotated.client_secret)) == (200, 200)
    clock.advance(seconds=299)
    assert (status(cred.client_secret), status(rotated.client_secret)) == (200, 200)
    clock.advance(seconds=1)
    assert (status(cred.client_secret), status(rotated.client_secret)) == (401, 200)
    # A second rotation without grace ends the first one's grace at once.
    clock.set(clock.now())
    again = services.credentials.regenerate(Actor.system(), cred.client_id, grace_seconds=300)
    third = services.credentials.regenerate(Actor.system(), cred.client_id)
    assert (status(rotated.client_secret), status(again.client_secret), status(third.client_secret)) == (
        401,
        401,
        200,
    )
