"""SDK → Tokensmith → demo API, over real sockets: tokens minted by the live server, verified by
:mod:`tokensmith.verify` in a separately served demo API, revocation seen within the documented bounds.

Bounds (the Verifier's defaults, see docs/platform.md): an introspected token's answer is cached for at
most ``introspection_cache_seconds`` (10 s), so a revoked personal token may pass for that long and no
longer; a JWT is verified locally until its ``exp`` unless the verifier is ``strict``, which introspects
it on every use. The tests step the verifier's clock, never sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from tokensmith.client import ClientCredentialsAuth, ManagementClient, Me, PersonalTokenAuth
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role

if TYPE_CHECKING:
    from tests.conftest import LiveServer, MadeCredential
    from tests.e2e.conftest import DemoApi

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
WRITE_SCOPES = ["project:read", "project:write"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client_token(http: httpx.Client, server: LiveServer, credential: MadeCredential, scope: str) -> str:
    response = http.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(credential.client_id, credential.client_secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def personal_token(server: LiveServer, org: Organization, user_id: str, scopes: list[str]) -> tuple[str, str]:
    """``(token id, tsp_… token)`` made through the services."""
    created = server.services.personal_tokens.create(
        Actor.system(), name="e2e", scopes=scopes, org_id=org.id, user_id=user_id
    )
    return created.token.id, created.plain


def assert_invalid_token(response: httpx.Response, description: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"error": "invalid_token", "error_description": description}
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="demo", error="invalid_token", error_description="{description}"'
    )
    assert response.headers["cache-control"] == "no-store"


# -- client credentials through the SDK -------------------------------------------------------------


def test_sdk_client_credentials_reach_the_demo_api(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
) -> None:
    demo = demo_api()
    credential = make_credential(org=org, scopes=WRITE_SCOPES)
    auth = ClientCredentialsAuth(
        credential.client_id, credential.client_secret, issuer=server.url, scope="project:read project:write"
    )
    with httpx.Client(auth=auth, base_url=demo.url, timeout=10) as api:
        whoami = api.get("/api/whoami")
        assert whoami.status_code == 200, whoami.text
        body = whoami.json()
        assert (body["subject"], body["subject_kind"], body["client_id"]) == (
            credential.client_id,
            "client",
            credential.client_id,
        )
        assert body["organization_id"] == org.id
        assert body["scopes"] == ["project:read", "project:write"]

        created = api.post("/api/projects", json={"name": "Launch"})
        assert created.status_code == 201, created.text
        assert created.json()["created_by"] == credential.client_id
        listed = api.get("/api/projects")
        assert listed.status_code == 200
        assert "Launch" in {p["name"] for p in listed.json()["items"]}

        # Scopes are a ceiling: members:read was neither granted nor requested.
        members = api.get("/api/members")
        assert members.status_code == 403
        assert members.json()["error"] == "insufficient_scope"
        assert 'scope="members:read"' in members.headers["www-authenticate"]


def test_async_sdk_client_credentials_reach_the_demo_api(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
) -> None:
    demo = demo_api()
    credential = make_credential(org=org, scopes=["voice:read"])
    auth = ClientCredentialsAuth(
        credential.client_id, credential.client_secret, issuer=server.url, scope="voice:read"
    )

    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(auth=auth, base_url=demo.url, timeout=10) as api:
            return list(await asyncio.gather(*(api.get("/api/voices") for _ in range(5))))

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 5
    assert {v["id"] for v in responses[0].json()["items"]} >= {"voice_aria"}


def test_demo_api_without_a_token_or_with_a_forged_one(
    demo_api: Callable[..., DemoApi], http: httpx.Client
) -> None:
    demo = demo_api()
    missing = http.get(f"{demo.url}/api/projects")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="demo"'
    forged = http.get(f"{demo.url}/api/projects", headers=bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.x"))
    assert forged.status_code == 401
    assert forged.json()["error"] == "invalid_token"


# -- personal access tokens ---------------------------------------------------------------------------


def test_personal_token_works_on_the_demo_api_and_its_revocation_is_seen_within_the_cache_bound(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_member: Callable[[], str],
    org: Organization,
) -> None:
    demo = demo_api()
    bound = demo.verifier.introspection_cache_seconds
    user_id = make_member()
    token_id, token = personal_token(server, org, user_id, ["project:read"])
    with httpx.Client(auth=PersonalTokenAuth(token), base_url=demo.url, timeout=10) as api:
        whoami = api.get("/api/whoami")
        assert whoami.status_code == 200, whoami.text
        body = whoami.json()
        assert (body["subject"], body["subject_kind"], body["organization_id"]) == (user_id, "user", org.id)
        assert body["scopes"] == ["project:read"]

        server.services.personal_tokens.revoke(Actor.system(), token_id)
        # Inside the bound the demo API may still answer from its cache...
        demo.clock.advance(bound - 1)
        assert api.get("/api/whoami").status_code == 200
        # ...and once the bound has passed it must ask again, and refuses.
        demo.clock.advance(1)
        assert_invalid_token(api.get("/api/whoami"), "The access token is not active.")


def test_revoked_personal_token_is_refused_at_once_by_a_verifier_that_has_not_cached_it(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_member: Callable[[], str],
    org: Organization,
    http: httpx.Client,
) -> None:
    demo = demo_api()
    token_id, token = personal_token(server, org, make_member(), ["project:read"])
    server.services.personal_tokens.revoke(Actor.system(), token_id)
    assert_invalid_token(
        http.get(f"{demo.url}/api/whoami", headers=bearer(token)), "The access token is not active."
    )


def test_personal_token_of_another_organisation_is_refused(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_org: Callable[..., Organization],
    http: httpx.Client,
) -> None:
    """Introspection answers only for the caller's own organisation (contracts.md): the demo API's
    credential belongs to ``org``, so another organisation's personal token is not active for it."""
    demo = demo_api()
    other = make_org()
    user = server.services.organizations.create_user(
        Actor.system(), "elsewhere@example.test", org_id=other.id, role=Role.MEMBER
    )
    _, token = personal_token(server, other, user.id, ["project:read"])
    assert_invalid_token(
        http.get(f"{demo.url}/api/whoami", headers=bearer(token)), "The access token is not active."
    )


def test_demo_api_without_introspection_refuses_personal_tokens(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_member: Callable[[], str],
    org: Organization,
    http: httpx.Client,
) -> None:
    demo = demo_api(introspect=False)
    _, token = personal_token(server, org, make_member(), ["project:read"])
    assert_invalid_token(
        http.get(f"{demo.url}/api/whoami", headers=bearer(token)),
        "This resource server accepts only JWT access tokens.",
    )


@pytest.mark.parametrize("route", ["oauth2/token", "api/v0/login"])
def test_exchanged_personal_token_is_a_user_jwt_on_the_demo_api(
    route: str,
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_member: Callable[[], str],
    org: Organization,
    http: httpx.Client,
) -> None:
    demo = demo_api(introspect=False)  # a JWT needs no introspection
    user_id = make_member()
    token_id, token = personal_token(server, org, user_id, ["project:read", "project:write"])
    if route == "oauth2/token":  # RFC 8693
        response = http.post(
            f"{server.url}/oauth2/token",
            data={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": token,
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "scope": "project:read",
            },
        )
    else:  # seed 002's dialect
        response = http.post(
            f"{server.url}/api/v0/login",
            headers=bearer(token),
            json={"grant_type": "refresh_token", "scope": "project:read"},
        )
    assert response.status_code == 200, response.text
    access_token = response.json()["access_token"]
    assert access_token.count(".") == 2

    whoami = http.get(f"{demo.url}/api/whoami", headers=bearer(access_token))
    assert whoami.status_code == 200, whoami.text
    body = whoami.json()
    assert (body["subject"], body["subject_kind"], body["client_id"]) == (user_id, "user", f"pat:{token_id}")
    assert body["scopes"] == ["project:read"]  # narrowed at the exchange
    denied = http.post(f"{demo.url}/api/projects", headers=bearer(access_token), json={"name": "x"})
    assert denied.status_code == 403


def test_management_client_makes_credentials_and_tokens_the_demo_api_honours(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_member: Callable[[], str],
    org: Organization,
    http: httpx.Client,
) -> None:
    """The whole SDK: a member's personal token drives the management API, which mints a personal
    credential and another personal token; both reach the demo API; revoking the token through the
    management API is seen by the demo API once its cache bound has passed."""
    demo = demo_api()
    user_id = make_member()
    management_scopes = [
        "tokens:read",
        "tokens:write",
        "credentials:read",
        "credentials:write",
        "project:read",
    ]
    _, bootstrap = personal_token(server, org, user_id, management_scopes)
    with ManagementClient(server.url, PersonalTokenAuth(bootstrap)) as management:
        me = management.me()
        assert isinstance(me, Me) and me.user.id == user_id

        credential = management.create_credential("e2e", "personal", scopes=["project:read"])
        assert credential.client_secret is not None
        auth = ClientCredentialsAuth(
            credential.client_id, credential.client_secret, issuer=server.url, scope="project:read"
        )
        with httpx.Client(auth=auth, timeout=10) as api:
            whoami = api.get(f"{demo.url}/api/whoami")
        assert whoami.status_code == 200, whoami.text
        assert (whoami.json()["client_id"], whoami.json()["organization_id"]) == (
            credential.client_id,
            org.id,
        )

        created = management.create_token("e2e child", ["project:read"])
        headers = bearer(created.token)
        assert http.get(f"{demo.url}/api/projects", headers=headers).status_code == 200
        management.revoke_token(created.id)
    demo.clock.advance(demo.verifier.introspection_cache_seconds)
    assert_invalid_token(
        http.get(f"{demo.url}/api/projects", headers=headers), "The access token is not active."
    )


# -- revoked JWTs: lax (local) verification versus strict mode --------------------------------------------


def revoke(http: httpx.Client, server: LiveServer, credential: MadeCredential, token: str) -> None:
    response = http.post(
        f"{server.url}/oauth2/revoke",
        data={"token": token},
        auth=(credential.client_id, credential.client_secret),
    )
    assert response.status_code == 200, response.text


def test_strict_mode_refuses_a_revoked_jwt_at_once(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
    http: httpx.Client,
) -> None:
    lax, strict = demo_api(), demo_api(strict=True)
    credential = make_credential(org=org, scopes=["project:read"])
    token = client_token(http, server, credential, "project:read")
    revoke(http, server, credential, token)

    # A JWT verified locally stays valid until its exp: the lax API cannot know it was revoked.
    assert http.get(f"{lax.url}/api/projects", headers=bearer(token)).status_code == 200
    # The strict API introspects it, and refuses it on the first request after the revocation.
    assert_invalid_token(
        http.get(f"{strict.url}/api/projects", headers=bearer(token)), "The access token is not active."
    )


def test_strict_mode_refuses_a_jwt_revoked_after_use_at_once(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
    http: httpx.Client,
) -> None:
    """Strict mode never answers from a cache: a JWT it accepted a moment ago is refused on the very
    next request after its revocation, with the default cache settings and no time passing."""
    strict = demo_api(strict=True)
    credential = make_credential(org=org, scopes=["project:read"])
    token = client_token(http, server, credential, "project:read")
    assert http.get(f"{strict.url}/api/projects", headers=bearer(token)).status_code == 200
    assert http.get(f"{strict.url}/api/projects", headers=bearer(token)).status_code == 200
    revoke(http, server, credential, token)
    assert_invalid_token(
        http.get(f"{strict.url}/api/projects", headers=bearer(token)), "The access token is not active."
    )


def test_strict_mode_refuses_the_jwt_of_a_revoked_personal_token(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_member: Callable[[], str],
    org: Organization,
    http: httpx.Client,
) -> None:
    lax, strict = demo_api(), demo_api(strict=True)
    token_id, token = personal_token(server, org, make_member(), ["project:read"])
    response = http.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": TOKEN_EXCHANGE, "subject_token": token, "subject_token_type": ACCESS_TOKEN_TYPE},
    )
    assert response.status_code == 200, response.text
    access_token = response.json()["access_token"]
    server.services.personal_tokens.revoke(Actor.system(), token_id)
    assert http.get(f"{lax.url}/api/projects", headers=bearer(access_token)).status_code == 200
    assert_invalid_token(
        http.get(f"{strict.url}/api/projects", headers=bearer(access_token)),
        "The access token is not active.",
    )
