"""The dashboard's share of issuance quotas and token reuse: the policy page sets an organisation's
``credential_tokens_per_hour``; a credential's page turns token reuse on and off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.dashboard.conftest import Team
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.services.container import Services

#: The policy form's ticked boxes (each test changes only its numbers).
FLAGS = {
    "allow_personal_credentials": "on",
    "allow_org_credentials": "on",
    "allow_personal_tokens": "on",
    "allow_registered_clients": "on",
    "allow_metadata_document_clients": "on",
}


def _post(client: Any, path: str, csrf: str, **fields: str) -> Any:
    return client.post(path, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def test_the_policy_page_sets_and_clears_the_issuance_quota(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    page = client.get("/org/policy")
    assert 'name="credential_tokens_per_hour"' in page.text
    flags = FLAGS
    saved = _post(client, "/org/policy", csrf, credential_tokens_per_hour="250", **flags)
    assert saved.status_code == 303, saved.text
    assert services.policies.get(Actor.system(), team.org.id).credential_tokens_per_hour == 250
    assert 'value="250"' in client.get("/org/policy").text
    wrong = _post(client, "/org/policy", csrf, credential_tokens_per_hour="lots", **flags)
    assert wrong.status_code == 400 and 'id="credential_tokens_per_hour-error"' in wrong.text
    zero = _post(client, "/org/policy", csrf, credential_tokens_per_hour="0", **flags)
    assert zero.status_code == 400 and 'id="credential_tokens_per_hour-error"' in zero.text
    cleared = _post(client, "/org/policy", csrf, credential_tokens_per_hour="", **flags)
    assert cleared.status_code == 303
    assert services.policies.get(Actor.system(), team.org.id).credential_tokens_per_hour is None


def test_the_credential_page_turns_token_reuse_on_and_off(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    created = services.credentials.create(
        Actor.system(), org_id=team.org.id, name="cacheless", kind=CredentialKind.ORGANIZATION
    )
    ref = created.credential.id
    csrf = sign_in(team.owner_email)
    assert "Token reuse</dt><dd>Off" in client.get(f"/credentials/{ref}").text
    on = _post(client, f"/credentials/{ref}/reuse", csrf, reuse_tokens="on")
    assert (
        on.status_code == 303 and on.headers["location"] == f"/credentials/{ref}?done=credential-reuse-saved"
    )
    assert services.credentials.get(Actor.system(), ref).reuse_tokens is True
    assert "Token reuse saved." in client.get(on.headers["location"]).text
    off = _post(client, f"/credentials/{ref}/reuse", csrf)
    assert off.status_code == 303
    assert services.credentials.get(Actor.system(), ref).reuse_tokens is False


def test_a_member_cannot_change_an_organisation_credentials_reuse(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    created = services.credentials.create(
        Actor.system(), org_id=team.org.id, name="shared", kind=CredentialKind.ORGANIZATION
    )
    csrf = sign_in(team.member_email)
    refused = _post(client, f"/credentials/{created.credential.id}/reuse", csrf, reuse_tokens="on")
    assert refused.status_code == 403, refused.status_code
    assert services.credentials.get(Actor.system(), created.credential.id).reuse_tokens is False


def test_the_policy_page_sets_refresh_token_lifetimes_in_days(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    page = client.get("/org/policy")
    assert 'name="refresh_token_lifetime_seconds"' in page.text
    assert 'name="refresh_token_idle_seconds"' in page.text
    flags = FLAGS
    fields = {"refresh_token_lifetime_seconds": "30", "refresh_token_idle_seconds": "0.5"}
    saved = _post(client, "/org/policy", csrf, **fields, **flags)
    assert saved.status_code == 303, saved.text
    policy = services.policies.get(Actor.system(), team.org.id)
    assert (policy.refresh_token_lifetime_seconds, policy.refresh_token_idle_seconds) == (30 * 86400, 43200)
    shown = client.get("/org/policy").text
    assert 'value="30"' in shown and 'value="0.5"' in shown
    for bad in ("soon", "0", "0.001"):  # 0.001 days is 86 seconds: under the five-minute floor
        wrong = _post(client, "/org/policy", csrf, refresh_token_idle_seconds=bad, **flags)
        assert wrong.status_code == 400 and 'id="refresh_token_idle_seconds-error"' in wrong.text, bad
    cleared = _post(client, "/org/policy", csrf, **flags)
    assert cleared.status_code == 303
    policy = services.policies.get(Actor.system(), team.org.id)
    assert policy.refresh_token_lifetime_seconds is None and policy.refresh_token_idle_seconds is None


def test_the_policy_page_switches_client_kinds(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    page = client.get("/org/policy").text
    for name in ("allow_registered_clients", "allow_metadata_document_clients"):
        assert f'name="{name}" checked' in page, name
    flags = {k: v for k, v in FLAGS.items() if k != "allow_registered_clients"}
    saved = _post(client, "/org/policy", csrf, **flags)
    assert saved.status_code == 303, saved.text
    policy = services.policies.get(Actor.system(), team.org.id)
    assert (policy.allow_registered_clients, policy.allow_metadata_document_clients) == (False, True)
    shown = client.get("/org/policy").text
    assert 'name="allow_registered_clients" >' in shown
    assert 'name="allow_metadata_document_clients" checked' in shown
