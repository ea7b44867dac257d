"""Issuance quotas over real HTTP: an organisation's ``credential_tokens_per_hour`` answered with
429, ``Retry-After`` and an RFC 6749 §5.2 body once a credential's hour is used up
(tokensmith.services.issuance_quota), on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, SQLITE_ONLY, TOKEN, assert_oauth_error, basic
from tests.http.metrics_support import scrape
from tokensmith.core.actors import Actor
from tokensmith.core.errors import BadRequest
from tokensmith.core.roles import Role
from tokensmith.services.org_policies import validate_changes

QUOTA = 3


def _token(http: httpx.Client, cred: Any, path: str = TOKEN) -> httpx.Response:
    return http.post(path, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))


def test_a_credential_over_its_hourly_quota_gets_429_with_retry_after(
    live_server: Any, make_org: Any, make_credential: Any
) -> None:
    org = make_org()
    live_server.services.policies.update(Actor.system(), org.id, {"credential_tokens_per_hour": QUOTA})
    cred = make_credential(org=org)
    other = make_credential(org=org)
    with httpx.Client(base_url=live_server.url) as http:
        assert [_token(http, cred).status_code for _ in range(QUOTA)] == [200] * QUOTA
        refused = _token(http, cred)
        body = assert_oauth_error(refused, 429, "temporarily_unavailable")
        assert body["error_description"] == "This client's token quota is used up; retry later."
        assert 3590 <= int(refused.headers["retry-after"]) <= 3600
        # Refusals are not counted against the next window, and other credentials have their own.
        assert _token(http, cred).status_code == 429
        assert _token(http, other).status_code == 200
        # Seed 003's dialect refuses the same way, in its own spelling.
        camel = http.post(
            "/api/v1/token",
            json={
                "grantType": "client_credentials",
                "clientId": cred.client_id,
                "clientSecret": cred.client_secret,
            },
        )
        assert camel.status_code == 429
        assert camel.json()["error"] == "temporarily_unavailable" and "errorDescription" in camel.json()
        assert 3590 <= int(camel.headers["retry-after"]) <= 3600
    scraped = scrape(live_server.url)
    assert scraped.value("tokensmith_rate_limited_total", limit="issuance_quota") == 3
    assert (
        scraped.value("tokensmith_token_requests_total", route=TOKEN, result="temporarily_unavailable") == 2
    )


def test_lifting_the_quota_lets_the_credential_through(
    live_server: Any, make_org: Any, make_credential: Any
) -> None:
    org = make_org()
    policies = live_server.services.policies
    policies.update(Actor.system(), org.id, {"credential_tokens_per_hour": 1})
    cred = make_credential(org=org)
    with httpx.Client(base_url=live_server.url) as http:
        assert _token(http, cred).status_code == 200
        assert _token(http, cred).status_code == 429
        policies.update(Actor.system(), org.id, {"credential_tokens_per_hour": None})
        assert _token(http, cred).status_code == 200


@SQLITE_ONLY
def test_the_policy_is_set_over_the_management_api(live_server: Any, make_org: Any) -> None:
    org = make_org()
    owner = live_server.services.organizations.create_user(
        Actor.system(), "quota-owner@example.test", org_id=org.id, role=Role.OWNER
    )
    issued = live_server.services.personal_tokens.create(
        Actor.system(),
        org_id=org.id,
        user_id=owner.id,
        name="admin",
        scopes=["members:read", "members:write"],
    )
    headers = {"Authorization": f"Bearer {issued.plain}"}
    url = f"{live_server.url}/api/orgs/{org.id}/policy"
    changed = httpx.patch(url, json={"credential_tokens_per_hour": 120}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["credential_tokens_per_hour"] == 120
    assert httpx.get(url, headers=headers).json()["credential_tokens_per_hour"] == 120
    zero = httpx.patch(url, json={"credential_tokens_per_hour": 0}, headers=headers)
    assert zero.status_code == 400 and zero.json()["code"] == "validation_failed"
    cleared = httpx.patch(url, json={"credential_tokens_per_hour": None}, headers=headers)
    assert cleared.json()["credential_tokens_per_hour"] is None


@pytest.mark.parametrize("value", [0, -1, 1_000_001, True, "10", 2.5])
def test_invalid_quotas_are_refused(value: object) -> None:
    with pytest.raises(BadRequest) as raised:
        validate_changes({"credential_tokens_per_hour": value})
    assert raised.value.field == "credential_tokens_per_hour"


@SQLITE_ONLY
def test_with_redis_two_processes_share_one_quota(
    live_server_factory: Any, make_org: Any, make_credential: Any, redis_url: str
) -> None:
    first = live_server_factory(redis_url=redis_url)
    second = live_server_factory(redis_url=redis_url)
    org = make_org()
    first.services.policies.update(Actor.system(), org.id, {"credential_tokens_per_hour": 2})
    cred = make_credential(org=org)
    with httpx.Client(base_url=first.url) as a, httpx.Client(base_url=second.url) as b:
        assert _token(a, cred).status_code == 200
        assert _token(b, cred).status_code == 200
        assert_oauth_error(_token(a, cred), 429, "temporarily_unavailable")
        assert_oauth_error(_token(b, cred), 429, "temporarily_unavailable")
