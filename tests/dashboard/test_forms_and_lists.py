"""The dashboard's forms and lists over HTTP: a refusal comes back as the form, with the error
next to its field (``aria-invalid``, ``aria-describedby``) and what was typed; the scope picker
offers only what the user may grant; lists filter on GET query parameters."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.dashboard.conftest import Team
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import CredentialKind
from tokensmith.services import listings
from tokensmith.services.container import Services
from tokensmith.services.reveals import new_form_nonce

SYSTEM = Actor.system()
OFFERED = re.compile(r'name="scopes" value="([^"]+)"')


def _post(client: Any, url: str, csrf: str, **form: Any) -> Any:
    data = {"csrf_token": csrf, "form_nonce": new_form_nonce(), **form}
    return client.post(url, data=data, follow_redirects=False)


def test_a_refused_credential_comes_back_as_the_form_with_the_error_at_the_field(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    answer = _post(
        client,
        "/credentials",
        csrf,
        name="x" * 201,
        description="kept <b>",
        kind="personal",
        scopes="api/access",
    )
    assert answer.status_code == 400
    assert 'aria-describedby="name-error" aria-invalid="true"' in answer.text
    assert 'id="name-error"' in answer.text and "Name must be 1 to 200 characters." in answer.text
    assert 'value="kept &lt;b&gt;"' in answer.text  # typed, kept, escaped
    assert 'value="api/access" checked' in answer.text
    assert services.credentials.list(SYSTEM, org_id=team.org.id).items == []


def test_no_scope_needs_a_second_deliberate_submit(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    warned = _post(client, "/credentials", csrf, name="bare", kind="personal")
    assert warned.status_code == 200 and 'id="scopes-warning"' in warned.text
    assert '<input type="hidden" name="confirmed" value="scopes">' in warned.text
    assert services.credentials.list(SYSTEM, org_id=team.org.id).items == []
    confirmed = _post(client, "/credentials", csrf, name="bare", kind="personal", confirmed="scopes")
    assert confirmed.status_code == 303
    (credential,) = services.credentials.list(SYSTEM, org_id=team.org.id).items
    assert credential.scopes == frozenset()


def test_the_scope_picker_offers_only_grantable_scopes(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    sign_in(team.member_email)
    for_credential = OFFERED.findall(client.get("/credentials/new").text)
    for_token = OFFERED.findall(client.get("/tokens/new").text)
    assert "tokens:introspect" not in for_credential and "tokens:introspect" not in for_token
    assert "members:write" not in for_credential and "audit:read" not in for_credential
    assert "api/access" in for_credential and "project:read" in for_token
    client.cookies.clear()
    sign_in(team.owner_email)
    for_owner = OFFERED.findall(client.get("/credentials/new").text)
    assert "members:write" in for_owner and "tokens:introspect" not in for_owner


def test_token_expiry_refusals_land_on_the_expiry_field(
    client: Any, services: Services, clock: FrozenClock, team: Team, sign_in: Callable[[str], str]
) -> None:
    today = clock.now().date()
    services.policies.update(SYSTEM, team.org.id, {"pat_max_lifetime_days": 30})
    csrf = sign_in(team.member_email)
    page = client.get("/tokens/new").text
    assert "at most 30 days after creation" in page and '<option value="">' not in page
    form = {"name": "dated", "scopes": "project:read", "expires_in_days": "custom"}
    bad_date = _post(client, "/tokens", csrf, **form, expires_on="31/12/2026")
    assert bad_date.status_code == 400 and 'id="expiry-error"' in bad_date.text
    far = (today + timedelta(days=200)).isoformat()
    too_far = _post(client, "/tokens", csrf, **form, expires_on=far)
    assert too_far.status_code == 403 and "at most 30 days" in too_far.text
    assert 'aria-describedby="expiry-hint expiry-error" aria-invalid="true"' in too_far.text
    assert f'value="{far}"' in too_far.text
    ok = _post(client, "/tokens", csrf, **form, expires_on=(today + timedelta(days=20)).isoformat())
    assert ok.status_code == 303, re.findall(r"Error:</strong>[^<]*", ok.text)


def test_member_add_and_policy_errors_stay_on_their_forms(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    duplicate = _post(client, "/org/members", csrf, email=team.member_email, role="member")
    assert duplicate.status_code == 409 and 'id="email-error"' in duplicate.text
    assert f'value="{team.member_email}"' in duplicate.text
    policy = _post(client, "/org/policy", csrf, pat_max_lifetime_days="ten", pat_inactivity_days="5")
    assert policy.status_code == 400 and 'id="pat_max_lifetime_days-error"' in policy.text
    assert 'value="ten"' in policy.text and 'value="5"' in policy.text


def test_the_token_list_filters_on_query_parameters(
    client: Any, services: Services, clock: FrozenClock, team: Team, sign_in: Callable[[str], str]
) -> None:
    def make(name: str, days: int, description: str = "") -> str:
        return services.personal_tokens.create(
            SYSTEM,
            name=name,
            scopes=["project:read"],
            description=description,
            expires_in_days=days,
            org_id=team.org.id,
            user_id=team.member_id,
        ).token.id

    make("stale", 1)
    clock.advance(days=2)
    make("deploy", 60, "ships the release")
    make("soon", 2)
    services.personal_tokens.revoke(SYSTEM, make("gone", 60))
    sign_in(team.member_email)

    def names(query: str) -> list[str]:
        return re.findall(r'<td><a href="/tokens/[^"]+">([^<]+)</a>', client.get("/tokens" + query).text)

    assert sorted(names("")) == ["deploy", "soon", "stale"]
    assert names("?status=expiring") == ["soon"]
    assert names("?status=expired") == ["stale"]
    assert names("?status=revoked") == ["gone"]
    assert names("?status=active") == ["deploy"]
    assert names("?q=RELEASE") == ["deploy"]
    assert names("?status=all&sort=name") == ["deploy", "gone", "soon", "stale"]
    assert names("?status=bogus&sort=bogus") == names("")  # unknown values fall back to the defaults
    assert "No tokens match these filters" in client.get("/tokens?q=zzz").text
    assert 'class="badge badge-expiring"' in client.get("/tokens").text


def test_edit_forms_keep_the_typed_value_and_show_the_error(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    _post(client, "/credentials", csrf, name="Billing", kind="personal", scopes="api/access")
    (credential,) = services.credentials.list(SYSTEM, org_id=team.org.id).items
    refused = _post(client, f"/credentials/{credential.id}", csrf, name="  ", description="new words")
    assert refused.status_code == 400 and 'id="name-error"' in refused.text
    assert 'value="new words"' in refused.text
    assert services.credentials.get(SYSTEM, credential.id).name == "Billing"
    saved = _post(client, f"/credentials/{credential.id}", csrf, name="Billing v2", description="")
    assert saved.status_code == 303
    assert services.credentials.get(SYSTEM, credential.id).name == "Billing v2"


def test_lists_search_and_sort_every_record_not_only_the_first_page(
    client: Any,
    services: Services,
    team: Team,
    sign_in: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lists read page after page before they search, filter and sort; with two records a
    page, five tokens and five credentials all show, and a search finds one on the last page."""
    monkeypatch.setattr(listings, "LIST_PAGE", 2)
    names = ["echo", "alpha", "delta", "bravo", "charlie"]
    for name in names:
        services.personal_tokens.create(
            SYSTEM, name=name, scopes=["project:read"], org_id=team.org.id, user_id=team.member_id
        )
        services.credentials.create(
            SYSTEM, org_id=team.org.id, name=name, kind=CredentialKind.PERSONAL, user_id=team.member_id
        )
    sign_in(team.member_email)

    def tokens(query: str) -> list[str]:
        return re.findall(r'<td><a href="/tokens/[^"]+">([^<]+)</a>', client.get("/tokens" + query).text)

    assert tokens("?sort=name") == sorted(names)
    for name in names:
        assert tokens(f"?q={name}") == [name]

    def credentials(query: str) -> list[str]:
        page = client.get("/credentials" + query).text
        return re.findall(r'<a href="/credentials/[^"/]+">([^<]+)</a>', page)

    assert credentials("?sort=name") == sorted(names)
    assert credentials("?q=echo") == ["echo"]
