"""Token reuse over real HTTP (tokensmith.services.token_reuse): a credential that opted in gets
the still-valid token already issued for the same scope, JWT and opaque alike, and never one
that was revoked; on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, REVOKE, TOKEN, basic
from tests.http.metrics_support import scrape
from tokensmith.core.actors import Actor
from tokensmith.services.audit_query import AuditFilters

FORMATS = pytest.mark.parametrize("token_format", ["jwt", "opaque"])


def _reusing(live_server: Any, make_credential: Any, **kwargs: Any) -> Any:
    cred = make_credential(scopes=["api/access", "project:read"], **kwargs)
    updated = live_server.services.credentials.set_token_reuse(Actor.system(), cred.client_id, enabled=True)
    assert updated.reuse_tokens is True
    return cred


def _token(http: httpx.Client, cred: Any, scope: str | None = None) -> dict[str, Any]:
    data = {**CLIENT_CREDENTIALS, **({"scope": scope} if scope else {})}
    response = http.post(TOKEN, data=data, headers=basic(cred.client_id, cred.client_secret))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@FORMATS
def test_the_same_token_comes_back_for_the_same_scope(
    live_server: Any, make_credential: Any, clock: Any, token_format: str
) -> None:
    cred = _reusing(live_server, make_credential, token_format=token_format, ttl=3600)
    with httpx.Client(base_url=live_server.url) as http:
        first = _token(http, cred)
        clock.advance(seconds=600)
        second = _token(http, cred)
        assert second["access_token"] == first["access_token"]
        assert first["expires_in"] == 3600 and second["expires_in"] == 3000
        assert second["scope"] == first["scope"]
        # Another scope set is another token (and is itself reused).
        narrow = _token(http, cred, "project:read")
        assert narrow["access_token"] != first["access_token"]
        assert _token(http, cred, "project:read")["access_token"] == narrow["access_token"]
    assert scrape(live_server.url).value("tokensmith_tokens_reused_total") == 2


@FORMATS
def test_a_revoked_token_is_never_handed_out_again(
    live_server: Any, make_credential: Any, token_format: str
) -> None:
    cred = _reusing(live_server, make_credential, token_format=token_format)
    with httpx.Client(base_url=live_server.url) as http:
        first = _token(http, cred)["access_token"]
        revoked = http.post(REVOKE, data={"token": first}, headers=basic(cred.client_id, cred.client_secret))
        assert revoked.status_code == 200
        fresh = _token(http, cred)["access_token"]
        assert fresh != first
        assert _token(http, cred)["access_token"] == fresh


def test_a_token_past_half_its_life_is_replaced(live_server: Any, make_credential: Any, clock: Any) -> None:
    cred = _reusing(live_server, make_credential, ttl=600)
    with httpx.Client(base_url=live_server.url) as http:
        first = _token(http, cred)["access_token"]
        clock.advance(seconds=299)
        assert _token(http, cred)["access_token"] == first  # 301 s left of 600
        clock.advance(seconds=2)
        assert _token(http, cred)["access_token"] != first  # 299 s left: less than half


def test_without_the_opt_in_every_request_mints(live_server: Any, make_credential: Any) -> None:
    cred = make_credential()
    with httpx.Client(base_url=live_server.url) as http:
        assert _token(http, cred)["access_token"] != _token(http, cred)["access_token"]


def test_turning_reuse_off_or_rotating_the_secret_starts_afresh(
    live_server: Any, make_credential: Any, clock: Any
) -> None:
    cred = _reusing(live_server, make_credential)
    credentials = live_server.services.credentials
    with httpx.Client(base_url=live_server.url) as http:
        first = _token(http, cred)["access_token"]
        clock.advance(seconds=1)
        credentials.set_token_reuse(Actor.system(), cred.client_id, enabled=False)
        assert _token(http, cred)["access_token"] != first
        clock.advance(seconds=1)
        credentials.set_token_reuse(Actor.system(), cred.client_id, enabled=True)
        again = _token(http, cred)["access_token"]
        assert again != first
        rotated = credentials.regenerate(Actor.system(), cred.client_id)
        new_secret = type(cred)(cred.client_id, rotated.client_secret, rotated.credential)
        assert _token(http, new_secret)["access_token"] != again


def test_reuse_is_set_and_shown_over_the_management_api(live_server: Any, make_org: Any) -> None:
    from tokensmith.core.roles import Role

    org = make_org()
    svc = live_server.services
    owner = svc.organizations.create_user(
        Actor.system(), "reuse-owner@example.test", org_id=org.id, role=Role.OWNER
    )
    pat = svc.personal_tokens.create(
        Actor.system(),
        org_id=org.id,
        user_id=owner.id,
        name="admin",
        scopes=["api/access", "credentials:read", "credentials:write"],
    )
    headers = {"Authorization": f"Bearer {pat.plain}"}
    with httpx.Client(base_url=live_server.url, headers=headers) as http:
        created = http.post(
            "/api/credentials", json={"name": "cacheless", "kind": "organization", "reuse_tokens": True}
        )
        assert created.status_code == 201, created.text
        assert created.json()["reuse_tokens"] is True
        client_id = created.json()["client_id"]
        off = http.patch(f"/api/credentials/{created.json()['id']}", json={"reuse_tokens": False})
        assert off.status_code == 200, off.text
        assert off.json()["reuse_tokens"] is False
        assert off.json()["name"] == "cacheless"
        shown = http.get(f"/api/credentials/{created.json()['id']}")
        assert shown.json()["reuse_tokens"] is False
    events = svc.audit_query.list(
        Actor.system(), org_id=org.id, filters=AuditFilters(action="credential.token_reuse_changed")
    )
    assert [e.target_id for e in events.items] == [client_id]
