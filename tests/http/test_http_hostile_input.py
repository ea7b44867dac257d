"""Protocol and input findings on the OAuth endpoints.

Real app over HTTP (the TestClient drives the ASGI app), on SQLite and PostgreSQL; each test
asserts the exact status, error code and headers.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import jwt
import pytest

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    INTROSPECT,
    TOKEN,
    assert_oauth_error,
    basic,
    basic_raw,
)
from tokensmith.core import secrets as sf
from tokensmith.core.actors import Actor
from tokensmith.core.clock import epoch
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.verify.claims import DEFAULT_LEEWAY

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JSON = {"Content-Type": "application/json"}
FIFTY_MINUTES = 50 * 60


def personal_token(
    services: Services, org_id: str, scopes: list[str] | None = None, **options: Any
) -> tuple[str, str]:
    """A member of ``org_id`` and a personal token of theirs: ``(plain, id)``."""
    user = services.organizations.create_user(
        Actor.system(), f"p-{uuid.uuid4().hex[:8]}@example.test", org_id=org_id, role=Role.OWNER
    )
    created = services.personal_tokens.create(
        Actor.system(),
        name="hostile",
        scopes=scopes or ["api/access", "tokens:read"],
        org_id=org_id,
        user_id=user.id,
        **options,
    )
    return created.plain, created.token.id


def exchange(client: Any, subject_token: str, **extra: str) -> Any:
    data = {"grant_type": EXCHANGE, "subject_token": subject_token, "subject_token_type": ACCESS_TOKEN_TYPE}
    return client.post(TOKEN, data={**data, **extra})


def resigned(services: Services, token: str, **changes: int) -> str:
    """``token``'s claims with ``changes``, signed by the server's own current key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return services.keyring.signing_key().sign(claims)


# -- nbf / iat in the future ------------------------------------------------------------


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_future_nbf_or_iat_is_inactive_at_introspection(
    client: Any, services: Services, make_credential: Any, claim: str
) -> None:
    cred = make_credential()
    issued = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    token = issued.json()["access_token"]
    now = epoch(services.clock.now())
    future = resigned(services, token, **{claim: now + FIFTY_MINUTES})
    within = resigned(services, token, **{claim: now + int(DEFAULT_LEEWAY) - 1})
    caller = basic(cred.client_id, cred.client_secret)
    assert client.post(INTROSPECT, data={"token": future}, headers=caller).json() == {"active": False}
    # The same leeway as tokensmith.verify: a little clock skew is tolerated.
    assert client.post(INTROSPECT, data={"token": within}, headers=caller).json()["active"] is True


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_future_nbf_or_iat_is_refused_on_the_management_api(
    client: Any, services: Services, make_org: Any, claim: str
) -> None:
    org = make_org()
    plain, _ = personal_token(services, org.id)
    user_token = exchange(client, plain).json()["access_token"]
    now = epoch(services.clock.now())
    future = resigned(services, user_token, **{claim: now + FIFTY_MINUTES})
    response = client.get("/api/me", headers={"Authorization": f"Bearer {future}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.headers["www-authenticate"] == 'Bearer realm="tokensmith", error="invalid_token"'
    assert client.get("/api/me", headers={"Authorization": f"Bearer {user_token}"}).status_code == 200


# -- a bad subject_token is invalid_request; seed 002 keeps invalid_grant ----------------


@pytest.mark.parametrize("kind", ["malformed", "unknown", "revoked", "expired"])
def test_a_bad_subject_token_is_invalid_request(
    client: Any, services: Services, make_org: Any, kind: str
) -> None:
    org = make_org()
    if kind == "malformed":
        subject = "tsp_not-a-token"
    elif kind == "unknown":
        subject = sf.generate("tsp_")
    else:
        subject, token_id = personal_token(services, org.id, expires_in_days=1)
        if kind == "revoked":
            services.personal_tokens.revoke(Actor.system(), token_id)
        else:
            services.clock.advance(days=2)  # type: ignore[attr-defined]
    response = exchange(client, subject)
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)
    seed_002 = client.post(
        "/api/v0/login", content=json.dumps({"grant_type": "refresh_token"}),
        headers={**JSON, "Authorization": f"Bearer {subject}"},
    )  # fmt: skip
    assert_oauth_error(seed_002, 400, "invalid_grant", basic_challenge=False)


# -- audience / resource this server does not serve ---------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        {"audience": "https://elsewhere.example"},
        {"resource": "https://elsewhere.example/api"},
        {"audience": ""},
        {"audience": "{audience}", "resource": "https://elsewhere.example"},
    ],
)
def test_an_audience_or_resource_not_served_is_invalid_target(
    client: Any, services: Services, make_org: Any, target: dict[str, str]
) -> None:
    org = make_org()
    plain, _ = personal_token(services, org.id)
    extra = {k: v.format(audience=services.minter.audience) for k, v in target.items()}
    response = exchange(client, plain, **extra)
    assert_oauth_error(response, 400, "invalid_target", basic_challenge=False)


def test_the_served_audience_and_resource_are_accepted(
    client: Any, services: Services, make_org: Any
) -> None:
    org = make_org()
    plain, _ = personal_token(services, org.id)
    audience = services.minter.audience
    response = exchange(client, plain, audience=audience, resource=audience)
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["aud"] == audience


# -- Basic credentials that are not valid form encoding; null members ----------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"%zz:secret",  # a stray % (not two hex digits)
        b"client:%",  # a truncated escape
        b"client:%ff%fe",  # escapes that are not UTF-8
        b"client%0d%0a:secret",  # CR LF, escaped
        b"client:sec%00ret",  # NUL, escaped
        b"client:sec\rret",  # CR, raw
        b"cli\nent:secret",  # LF, raw
        b"client:sec\x00ret",  # NUL, raw
    ],
)
@pytest.mark.parametrize("path", [TOKEN, "/api/oauth/token", INTROSPECT])
def test_basic_credentials_that_do_not_decode_are_invalid_request(
    client: Any, make_credential: Any, raw: bytes, path: str
) -> None:
    data = {"token": "x"} if path == INTROSPECT else CLIENT_CREDENTIALS
    response = client.post(path, data=data, headers=basic_raw(raw))
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)


def test_control_characters_in_body_credentials_are_invalid_request(
    client: Any, make_credential: Any
) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "client_id": cred.client_id, "client_secret": cred.client_secret + "\n"},
    )
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)


def test_valid_escapes_still_authenticate(client: Any, make_credential: Any) -> None:
    """Escaping is allowed, just not broken escaping: ``%74`` is ``t``."""
    cred = make_credential()
    escaped = "%" + format(ord(cred.client_secret[0]), "02x") + cred.client_secret[1:]
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, escaped))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("member", ["clientSecret", "clientId", "grantType", "scope"])
def test_a_null_member_on_v1_token_is_invalid_request(client: Any, make_credential: Any, member: str) -> None:
    cred = make_credential()
    body: dict[str, Any] = {"grantType": "client_credentials", "clientId": cred.client_id}
    body["clientSecret"] = cred.client_secret
    body[member] = None
    response = client.post("/api/v1/token", content=json.dumps(body), headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert set(response.json()) <= {"error", "errorDescription"}
    assert response.headers["cache-control"] == "no-store"


def test_a_null_member_on_v0_login_is_invalid_request(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        "/api/v0/login",
        content=json.dumps({"grant_type": "client_credentials", "scope": None}),
        headers={**JSON, **basic(cred.client_id, cred.client_secret)},
    )
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)


def test_basic_with_non_utf8_base64_payload_is_invalid_request(client: Any) -> None:
    header = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode()}
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=header)
    assert_oauth_error(response, 400, "invalid_request", basic_challenge=False)
