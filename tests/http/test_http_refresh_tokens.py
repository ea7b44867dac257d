"""Refresh tokens of the authorization code flow (OAuth 2.1 draft §4.3, §7.4.2) over the real app, on
SQLite and PostgreSQL: rotation on every use, reuse of a rotated one revoking the whole family,
narrowing, absolute and idle lifetimes (the deployment's, or the organisation's policy), the person's
current role, the person revoking the app, and families bound to a DPoP key (RFC 9449 §5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.dpop_proofs import ProofKey
from tests.http.authorization_support import (
    LOOPBACK_REDIRECT,
    REDIRECT_URI,
    Browser,
    Person,
    authorize_params,
    exchange,
    get_code,
    make_person,
    pkce_pair,
    refresh,
    register,
)
from tests.http.http_support import SQLITE_ONLY, verify_jwt
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.errors import BadRequest
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.storage.repositories.audit import AuditRepository

Tokens = dict[str, Any]


@pytest.fixture
def person(services: Services) -> Person:
    return make_person(services, Role.ADMIN)


@pytest.fixture
def app_client(client: Any) -> dict[str, Any]:
    return register(client, [REDIRECT_URI, LOOPBACK_REDIRECT])


@pytest.fixture
def authorize(client: Any, person: Person, app_client: dict[str, Any]) -> Callable[..., Tokens]:
    browser = Browser(client)
    browser.sign_in(person.email)

    def run(scope: str = "tokens:read credentials:read members:write") -> Tokens:
        verifier, challenge = pkce_pair()
        params = authorize_params(app_client["client_id"], challenge, scope=scope)
        code = get_code(browser, person.org.id, params)
        response = exchange(client, app_client["client_id"], code, verifier)
        assert response.status_code == 200, response.text
        tokens: Tokens = response.json()
        return tokens

    return run


def me(client: Any, token: str) -> int:
    return int(client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code)


def _refused(response: Any, error: str = "invalid_grant") -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error


def test_every_refresh_rotates(
    client: Any, app_client: dict[str, Any], authorize: Callable[..., Tokens]
) -> None:
    tokens = authorize()
    seen = {tokens["refresh_token"]}
    for _ in range(3):
        response = refresh(client, app_client["client_id"], tokens["refresh_token"])
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        tokens = response.json()
        assert tokens["refresh_token"] not in seen
        seen.add(tokens["refresh_token"])
        assert me(client, tokens["access_token"]) == 200


def test_reuse_of_a_rotated_token_revokes_the_family(
    client: Any,
    services: Services,
    person: Person,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    first = authorize()
    second = refresh(client, app_client["client_id"], first["refresh_token"]).json()
    _refused(refresh(client, app_client["client_id"], first["refresh_token"]))  # the copy comes back
    _refused(refresh(client, app_client["client_id"], second["refresh_token"]))  # the family is dead
    assert me(client, first["access_token"]) == 401
    assert me(client, second["access_token"]) == 401
    # Another authorization of the same app is untouched.
    other = authorize()
    assert refresh(client, app_client["client_id"], other["refresh_token"]).status_code == 200
    with services.database.transaction() as connection:
        revoked = AuditRepository(connection).list(org_id=person.org.id, action="authorized_app.revoked")
    assert [e.details["reason"] for e in revoked] == ["refresh_reuse"]


def test_a_refresh_may_narrow_but_never_widen(
    client: Any, app_client: dict[str, Any], authorize: Callable[..., Tokens]
) -> None:
    tokens = authorize("tokens:read credentials:read")
    narrowed = refresh(client, app_client["client_id"], tokens["refresh_token"], scope="tokens:read").json()
    assert narrowed["scope"] == "tokens:read"
    # The family keeps what was consented: a later refresh may ask for all of it again.
    again = refresh(client, app_client["client_id"], narrowed["refresh_token"]).json()
    assert again["scope"] == "credentials:read tokens:read"
    _refused(
        refresh(client, app_client["client_id"], again["refresh_token"], scope="audit:read"), "invalid_scope"
    )


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"refresh_token": ""}, 400, "invalid_request"),
        ({"refresh_token": "tsr_notarealtoken"}, 400, "invalid_grant"),
        ({"refresh_token": "tsp_" + "a" * 36}, 400, "invalid_grant"),
        ({"client_id": ""}, 400, "invalid_request"),
        ({"client_id": "nosuchclientnosuchclient00"}, 401, "invalid_client"),
        ({"client_secret": "x"}, 401, "invalid_client"),
    ],
)
def test_malformed_refresh_requests(
    client: Any,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
    change: dict[str, str],
    status: int,
    error: str,
) -> None:
    tokens = authorize()
    data = {
        "grant_type": "refresh_token",
        "client_id": app_client["client_id"],
        "refresh_token": tokens["refresh_token"],
    }
    response = client.post("/oauth2/token", data=data | change)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    # None of these spent the token.
    assert refresh(client, app_client["client_id"], tokens["refresh_token"]).status_code == 200


@SQLITE_ONLY
def test_another_clients_refresh_token_is_refused(
    client: Any, app_client: dict[str, Any], authorize: Callable[..., Tokens]
) -> None:
    tokens = authorize()
    other = register(client)
    _refused(refresh(client, other["client_id"], tokens["refresh_token"]))


def test_the_idle_lifetime(
    client: Any,
    clock: FrozenClock,
    services: Services,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    idle = services.settings.refresh_token_idle_seconds
    tokens = authorize()
    clock.advance(seconds=idle - 60)
    tokens = refresh(
        client, app_client["client_id"], tokens["refresh_token"]
    ).json()  # use resets the idle clock
    clock.advance(seconds=idle - 60)
    tokens = refresh(client, app_client["client_id"], tokens["refresh_token"]).json()
    clock.advance(seconds=idle + 1)
    _refused(refresh(client, app_client["client_id"], tokens["refresh_token"]))


@SQLITE_ONLY
def test_the_absolute_lifetime(
    client: Any,
    clock: FrozenClock,
    services: Services,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    settings = services.settings
    tokens = authorize()
    step = settings.refresh_token_idle_seconds - 60
    elapsed = 0
    while elapsed + step < settings.refresh_token_lifetime_seconds:
        clock.advance(seconds=step)
        elapsed += step
        tokens = refresh(client, app_client["client_id"], tokens["refresh_token"]).json()
    clock.advance(seconds=settings.refresh_token_lifetime_seconds - elapsed)
    _refused(refresh(client, app_client["client_id"], tokens["refresh_token"]))


def test_the_persons_current_role_caps_every_refresh(
    client: Any,
    services: Services,
    person: Person,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    tokens = authorize()
    assert "members:write" in tokens["scope"].split()
    owner = services.organizations.create_user(
        Actor.system(), "owner-of-this@people.test", org_id=person.org.id, role=Role.OWNER
    )
    assert owner.id
    services.members.set_role(Actor.system(), person.org.id, person.email, Role.MEMBER)
    tokens = refresh(client, app_client["client_id"], tokens["refresh_token"]).json()
    assert tokens["scope"] == "credentials:read tokens:read"  # a member may not grant members:write
    services.members.remove(Actor.system(), person.org.id, person.email)
    _refused(refresh(client, app_client["client_id"], tokens["refresh_token"]))


def test_the_person_revokes_the_app(
    client: Any,
    services: Services,
    person: Person,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    tokens = authorize()
    actor = Actor.system()
    apps = services.authorized_apps.list(
        Actor(method=actor.method, transport=actor.transport, user_id=person.user_id, org_id=person.org.id)
    )
    assert [a.client_id for a in apps] == [app_client["client_id"]]
    services.authorized_apps.revoke(
        Actor(method=actor.method, transport=actor.transport, user_id=person.user_id, org_id=person.org.id),
        apps[0].id,
    )
    assert me(client, tokens["access_token"]) == 401
    _refused(refresh(client, app_client["client_id"], tokens["refresh_token"]))
    assert (
        services.authorized_apps.list(
            Actor(
                method=actor.method, transport=actor.transport, user_id=person.user_id, org_id=person.org.id
            )
        )
        == []
    )


@SQLITE_ONLY
def test_a_removed_client_can_no_longer_refresh(
    client: Any, services: Services, app_client: dict[str, Any], authorize: Callable[..., Tokens]
) -> None:
    tokens = authorize()
    services.client_registration.remove(Actor.system(), app_client["client_id"])
    response = refresh(client, app_client["client_id"], tokens["refresh_token"])
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@SQLITE_ONLY
def test_client_credentials_still_get_no_refresh_token(client: Any, make_credential: Any) -> None:
    made = make_credential()
    response = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": made.basic}
    )
    assert response.status_code == 200 and "refresh_token" not in response.json()


# -- lifetimes from the organisation's policy ---------------------------------------------------


def test_the_organisations_idle_lifetime_replaces_the_setting(
    client: Any,
    clock: FrozenClock,
    services: Services,
    person: Person,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    assert services.settings.refresh_token_idle_seconds > 900
    tokens = authorize()
    services.policies.update(Actor.system(), person.org.id, {"refresh_token_idle_seconds": 600})
    clock.advance(seconds=590)
    tokens = refresh(client, app_client["client_id"], tokens["refresh_token"]).json()
    clock.advance(seconds=601)  # within the deployment's idle lifetime, past the organisation's
    _refused(refresh(client, app_client["client_id"], tokens["refresh_token"]))
    services.policies.update(Actor.system(), person.org.id, {"refresh_token_idle_seconds": None})
    # Back to the setting: a fresh authorization outlives 601 seconds unused again.
    tokens = authorize()
    clock.advance(seconds=601)
    assert refresh(client, app_client["client_id"], tokens["refresh_token"]).status_code == 200


def test_the_organisations_absolute_lifetime_is_fixed_at_consent(
    client: Any,
    clock: FrozenClock,
    services: Services,
    person: Person,
    app_client: dict[str, Any],
    authorize: Callable[..., Tokens],
) -> None:
    before = authorize()  # consented under the deployment's setting
    services.policies.update(Actor.system(), person.org.id, {"refresh_token_lifetime_seconds": 900})
    tokens = authorize()
    clock.advance(seconds=500)
    tokens = refresh(client, app_client["client_id"], tokens["refresh_token"]).json()
    before = refresh(client, app_client["client_id"], before["refresh_token"]).json()
    clock.advance(seconds=400)
    _refused(refresh(client, app_client["client_id"], tokens["refresh_token"]))
    assert refresh(client, app_client["client_id"], before["refresh_token"]).status_code == 200


def test_refresh_lifetimes_out_of_bounds_are_refused(services: Services, person: Person) -> None:
    for name in ("refresh_token_lifetime_seconds", "refresh_token_idle_seconds"):
        for bad in (299, 3650 * 86400 + 1, "600", True):
            with pytest.raises(BadRequest) as raised:
                services.policies.update(Actor.system(), person.org.id, {name: bad})
            assert raised.value.field == name
    policy = services.policies.get(Actor.system(), person.org.id)
    assert policy.refresh_token_lifetime_seconds is None and policy.refresh_token_idle_seconds is None


# -- DPoP-bound refresh tokens (RFC 9449 §5) ---------------------------------------------------

TOKEN_URL = "http://testserver/oauth2/token"


@pytest.fixture
def dpop_authorize(
    client: Any, clock: FrozenClock, person: Person, app_client: dict[str, Any]
) -> Callable[[ProofKey], Tokens]:
    browser = Browser(client)
    browser.sign_in(person.email)

    def run(key: ProofKey) -> Tokens:
        verifier, challenge = pkce_pair()
        code = get_code(browser, person.org.id, authorize_params(app_client["client_id"], challenge))
        proof = key.proof("POST", TOKEN_URL, iat=clock.now().timestamp())
        response = exchange(client, app_client["client_id"], code, verifier, headers={"DPoP": proof})
        assert response.status_code == 200, response.text
        tokens: Tokens = response.json()
        assert tokens["token_type"] == "DPoP"
        return tokens

    return run


def _proof(key: ProofKey, clock: FrozenClock) -> dict[str, str]:
    return {"DPoP": key.proof("POST", TOKEN_URL, iat=clock.now().timestamp())}


def test_a_family_exchanged_with_a_proof_refreshes_only_with_that_key(
    client: Any,
    clock: FrozenClock,
    services: Services,
    app_client: dict[str, Any],
    dpop_authorize: Callable[[ProofKey], Tokens],
) -> None:
    key, other = ProofKey(), ProofKey()
    tokens = dpop_authorize(key)
    client_id = app_client["client_id"]
    _refused(refresh(client, client_id, tokens["refresh_token"]), "invalid_dpop_proof")
    _refused(refresh(client, client_id, tokens["refresh_token"], headers=_proof(other, clock)))
    # Neither attempt spent the token nor revoked the family: the key holder refreshes with it.
    rotated = refresh(client, client_id, tokens["refresh_token"], headers=_proof(key, clock))
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["token_type"] == "DPoP"
    assert verify_jwt(services, body["access_token"])["cnf"] == {"jkt": key.thumbprint}
    _refused(refresh(client, client_id, body["refresh_token"]), "invalid_dpop_proof")
    again = refresh(client, client_id, body["refresh_token"], headers=_proof(key, clock))
    assert again.status_code == 200, again.text


def test_a_bearer_family_stays_unbound(
    client: Any, clock: FrozenClock, app_client: dict[str, Any], authorize: Callable[..., Tokens]
) -> None:
    tokens = authorize()
    bound = refresh(
        client, app_client["client_id"], tokens["refresh_token"], headers=_proof(ProofKey(), clock)
    )
    assert bound.status_code == 200 and bound.json()["token_type"] == "DPoP"
    plain = refresh(client, app_client["client_id"], bound.json()["refresh_token"])
    assert plain.status_code == 200 and plain.json()["token_type"] == "Bearer"
