"""Post/redirect/get with one-time reveals, over the real app: every create, regenerate and
delete answers 303; the new secret is on the GET page once; the same form posted again (reload,
double click) repeats nothing and lands on the first result; the reveal is bound to its session
and expires."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from tests.dashboard.conftest import Team

from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import CredentialKind
from tokensmith.services.container import Services
from tokensmith.services.reveals import new_form_nonce
from tokensmith.storage.tables import one_time_reveals

SYSTEM = Actor.system()
SECRET = re.compile(r"tss_[A-Za-z0-9_]+")
PAT = re.compile(r"tsp_[A-Za-z0-9_]+")
REVEAL_URL = re.compile(r"^/credentials/[^/]+/secret/[A-Za-z0-9_-]+$")


def _post(client: Any, url: str, csrf: str, nonce: str, **form: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, "form_nonce": nonce, **form}, follow_redirects=False)


def _credentials(services: Services, team: Team) -> list[Any]:
    return services.credentials.list(SYSTEM, org_id=team.org.id).items


def _create_credential(client: Any, csrf: str, nonce: str, name: str = "Billing") -> Any:
    return _post(client, "/credentials", csrf, nonce, name=name, kind="personal", scopes="api/access")


def test_create_credential_redirects_and_shows_the_secret_once(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    nonce = new_form_nonce()
    created = _create_credential(client, csrf, nonce)
    assert created.status_code == 303
    url = created.headers["location"]
    assert REVEAL_URL.match(url), url
    assert len(_credentials(services, team)) == 1

    shown = client.get(url)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    secret = SECRET.search(shown.text)
    assert secret is not None
    assert "at most 10 minutes" in shown.text

    again = client.get(url)  # reload, back button, another tab
    assert again.status_code == 410
    assert "This client secret was already shown" in again.text
    assert secret.group(0) not in again.text and not SECRET.search(again.text)
    assert "Regenerate the secret" in again.text

    # The same form posted again (a reload of the POST, a double click): nothing new.
    repeated = _create_credential(client, csrf, nonce)
    assert repeated.status_code == 303 and repeated.headers["location"] == url
    assert len(_credentials(services, team)) == 1
    # A new form (new nonce) is a new credential.
    assert _create_credential(client, csrf, new_form_nonce(), name="Other").status_code == 303
    assert len(_credentials(services, team)) == 2


def test_a_form_without_a_nonce_still_redirects_and_acts_each_time(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    form = {"csrf_token": csrf, "name": "x", "kind": "personal", "scopes": "api/access"}
    for _ in range(2):
        assert client.post("/credentials", data=form, follow_redirects=False).status_code == 303
    assert len(_credentials(services, team)) == 2


def test_regenerate_twice_with_one_nonce_rotates_once(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    shown = client.get(_create_credential(client, csrf, new_form_nonce()).headers["location"])
    first_secret = SECRET.search(shown.text)
    assert first_secret is not None
    (credential,) = _credentials(services, team)
    nonce = new_form_nonce()
    url = f"/credentials/{credential.id}/regenerate"
    rotated = _post(client, url, csrf, nonce, confirm="yes", grace_seconds="0")
    assert rotated.status_code == 303
    page = client.get(rotated.headers["location"])
    new_secret = SECRET.search(page.text)
    assert new_secret is not None and new_secret.group(0) != first_secret.group(0)
    hint = services.credentials.get(SYSTEM, credential.id).secret_hint

    again = _post(client, url, csrf, nonce, confirm="yes", grace_seconds="0")
    assert again.status_code == 303 and again.headers["location"] == rotated.headers["location"]
    assert services.credentials.get(SYSTEM, credential.id).secret_hint == hint  # not rotated again
    assert client.get(again.headers["location"]).status_code == 410
    # The secret the user copied still works.
    assert services.credentials.authenticate(credential.client_id, new_secret.group(0))[0].id == credential.id


def test_delete_twice_with_one_nonce_lands_on_the_list(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    _create_credential(client, csrf, new_form_nonce())
    (credential,) = _credentials(services, team)
    nonce = new_form_nonce()
    url = f"/credentials/{credential.id}/delete"
    first = _post(client, url, csrf, nonce, confirm="yes")
    assert first.status_code == 303 and first.headers["location"] == "/credentials?done=credential-deleted"
    second = _post(client, url, csrf, nonce, confirm="yes")  # not a 404 page: the first result
    assert second.status_code == 303 and second.headers["location"] == first.headers["location"]
    assert _credentials(services, team) == []


def test_generate_token_is_prg_and_its_token_shown_once(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    _create_credential(client, csrf, new_form_nonce())
    (credential,) = _credentials(services, team)
    nonce = new_form_nonce()
    made = _post(client, f"/credentials/{credential.id}/token", csrf, nonce)
    assert made.status_code == 303
    assert made.headers["location"].startswith(f"/credentials/{credential.id}/token/")
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and 'id="token-claims"' in page.text
    issued = [e for e in _audit(services, team) if e.action == "token.issued"]
    again = _post(client, f"/credentials/{credential.id}/token", csrf, nonce)
    assert again.headers["location"] == made.headers["location"]
    assert [e for e in _audit(services, team) if e.action == "token.issued"] == issued
    gone = client.get(made.headers["location"])
    assert gone.status_code == 410 and "access token was already shown" in gone.text
    assert 'id="token-claims"' not in gone.text


def _audit(services: Services, team: Team) -> list[Any]:
    return services.audit_query.list(SYSTEM, org_id=team.org.id, limit=200).items


def test_account_token_create_regenerate_revoke(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.member_email)
    nonce = new_form_nonce()
    form = {"name": "CI", "scopes": "project:read", "expires_in_days": "30"}
    created = _post(client, "/tokens", csrf, nonce, **form)
    assert created.status_code == 303
    url = created.headers["location"]
    plain = PAT.search(client.get(url).text)
    assert plain is not None
    assert _post(client, "/tokens", csrf, nonce, **form).headers["location"] == url
    tokens = services.personal_tokens.list(SYSTEM, org_id=team.org.id, user_id=team.member_id).items
    assert len(tokens) == 1
    gone = client.get(url)
    assert gone.status_code == 410 and not PAT.search(gone.text)

    token_id = tokens[0].id
    nonce = new_form_nonce()
    regenerated = _post(client, f"/tokens/{token_id}/regenerate", csrf, nonce, confirm="yes")
    assert regenerated.status_code == 303
    new_plain = PAT.search(client.get(regenerated.headers["location"]).text)
    assert new_plain is not None and new_plain.group(0) != plain.group(0)
    again = _post(client, f"/tokens/{token_id}/regenerate", csrf, nonce, confirm="yes")
    assert again.headers["location"] == regenerated.headers["location"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {new_plain.group(0)}"})
    assert me.status_code == 200  # the value the user saw is the live one
    old = client.get("/api/me", headers={"Authorization": f"Bearer {plain.group(0)}"})
    assert old.status_code == 401

    nonce = new_form_nonce()
    revoked = _post(client, f"/tokens/{token_id}/revoke", csrf, nonce, confirm="yes")
    assert revoked.headers["location"] == "/tokens?done=token-revoked"
    assert _post(client, f"/tokens/{token_id}/revoke", csrf, nonce, confirm="yes").headers["location"] == (
        "/tokens?done=token-revoked"
    )


def test_a_reveal_belongs_to_the_session_that_made_it(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    url = _create_credential(client, csrf, new_form_nonce()).headers["location"]
    first_session = dict(client.cookies)
    client.cookies.clear()
    sign_in(team.owner_email)  # the same user in another browser: a session of its own
    stolen = client.get(url)
    assert stolen.status_code == 410 and not SECRET.search(stolen.text)
    client.cookies.clear()
    client.cookies.update(first_session)
    assert SECRET.search(client.get(url).text)  # the other session's try did not use it up


def test_a_reveal_expires_after_ten_minutes(
    client: Any, clock: FrozenClock, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    url = _create_credential(client, csrf, new_form_nonce()).headers["location"]
    clock.advance(minutes=10, seconds=1)
    page = client.get(url)
    assert page.status_code == 410 and not SECRET.search(page.text)


def test_the_stored_reveal_is_ciphertext_and_gone_once_shown(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    url = _create_credential(client, csrf, new_form_nonce()).headers["location"]
    with services.database.transaction() as connection:
        (row,) = connection.execute(select(one_time_reveals)).mappings().all()
    assert row["sealed"] and "tss_" not in row["sealed"]
    assert row["result_url"] == url and len(row["form_nonce"]) >= 16
    assert (row["expires_at"] - row["created_at"]).total_seconds() == 600
    secret = SECRET.search(client.get(url).text)
    assert secret is not None and secret.group(0) not in row["sealed"]
    with services.database.transaction() as connection:
        (after,) = connection.execute(select(one_time_reveals)).mappings().all()
    assert after["sealed"] is None and after["result_url"] == url  # kept only to answer a resubmission


def test_a_sealed_secret_opens_only_under_its_own_id_and_session(services: Services) -> None:
    reveals = services.reveals
    first = reveals.claim("session-a", new_form_nonce())
    second = reveals.claim("session-a", new_form_nonce())
    reveals.complete(first, "/one", {"secret": "s1"})
    reveals.complete(second, "/two", {"secret": "s2"})
    with services.database.transaction() as connection:
        rows = {r["id"]: r["sealed"] for r in connection.execute(select(one_time_reveals)).mappings()}
        # Move the first ciphertext into the second row: it must not open there.
        connection.execute(
            one_time_reveals.update()
            .where(one_time_reveals.c.id == second.reveal_id)
            .values(sealed=rows[first.reveal_id])
        )
    assert reveals.reveal(second.reveal_id, "session-a") is None
    assert reveals.reveal(first.reveal_id, "session-b") is None
    assert reveals.reveal(first.reveal_id, "session-a") == {"secret": "s1"}
    assert reveals.reveal(first.reveal_id, "session-a") is None


def test_expired_reveals_are_deleted_when_a_new_one_is_made(services: Services, clock: FrozenClock) -> None:
    reveals = services.reveals
    old = reveals.claim("s", new_form_nonce())
    reveals.complete(old, "/old", {"secret": "x"})
    clock.advance(minutes=11)
    reveals.claim("s", new_form_nonce())
    with services.database.transaction() as connection:
        ids = [r["id"] for r in connection.execute(select(one_time_reveals)).mappings()]
    assert old.reveal_id not in ids and len(ids) == 1


def test_a_failed_action_releases_its_nonce(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    nonce = new_form_nonce()
    refused = _post(client, "/credentials", csrf, nonce, name="x" * 201, kind="personal", scopes="api/access")
    assert refused.status_code == 400
    fixed = _post(client, "/credentials", csrf, nonce, name="fixed", kind="personal", scopes="api/access")
    assert fixed.status_code == 303
    assert [c.name for c in _credentials(services, team)] == ["fixed"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_org_credential_secret_page_for_an_admin(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    made = _post(
        client, "/credentials", csrf, new_form_nonce(), name="Org", kind="organization", scopes="api/access"
    )
    assert made.status_code == 303
    assert SECRET.search(client.get(made.headers["location"]).text)
    (credential,) = _credentials(services, team)
    assert credential.kind is CredentialKind.ORGANIZATION


def test_concurrent_views_and_claims_have_one_winner(services: Services) -> None:
    reveals = services.reveals
    nonce = new_form_nonce()
    claims: list[Any] = []
    views: list[Any] = []

    def claim() -> None:
        claims.append(reveals.claim("session-a", nonce))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    fresh = [c for c in claims if c.fresh]
    assert len(claims) == 4 and len(fresh) == 1  # the others waited, then gave up (no result yet)
    reveals.complete(fresh[0], "/done", {"secret": "once"})
    assert reveals.claim("session-a", nonce).result_url == "/done"

    def view() -> None:
        views.append(reveals.reveal(fresh[0].reveal_id, "session-a"))

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(views, key=repr) == [None, None, None, {"secret": "once"}]
