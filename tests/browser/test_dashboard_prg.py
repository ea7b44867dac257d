"""Reloading, going back or double-clicking never repeats a create, regenerate or delete
(post/redirect/get + one-time reveals), in a real Chromium against a live server.

Each step counts the records through the services before and after the reload, the back
button or the second submission.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.flows import MEMBER, OWNER, SYSTEM, make_world, new_page
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

ALREADY_SHOWN = "was already shown"


def _heading(page: Any) -> str:
    return str(page.get_by_role("heading", level=1).inner_text())


def _create_credential(page: Any, base: str, name: str) -> None:
    page.goto(base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create credential").click()
    page.get_by_role("heading", name=f"Credential {name} created").wait_for()


def test_reload_and_back_after_every_create_regenerate_and_delete(
    browser: Any, live_server_factory: Callable[..., LiveServer]
) -> None:
    world = make_world(live_server_factory())
    base, svc = world.base, world.live.services
    page = new_page(browser, world, OWNER)

    # -- create a credential: reload, back, forward -------------------------------------------
    _create_credential(page, base, "Billing service")
    secret = page.locator("#client-secret").input_value()
    assert secret.startswith("tss_") and len(world.credentials()) == 1
    page.reload()
    assert ALREADY_SHOWN in _heading(page) and secret not in page.content()
    assert len(world.credentials()) == 1
    page.go_back()
    assert page.url == base + "/credentials/new"
    assert len(world.credentials()) == 1
    page.go_forward()
    assert ALREADY_SHOWN in _heading(page)
    assert len(world.credentials()) == 1
    (credential,) = world.credentials()

    # -- regenerate without grace: a reload must not kill the secret just copied ---------------
    page.goto(f"{base}/credentials/{credential.id}")
    page.get_by_label("I understand that code using the old secret").check()
    page.get_by_role("button", name="Regenerate secret").click()
    page.get_by_role("heading", name="New client secret for Billing service").wait_for()
    fresh = page.locator("#client-secret").input_value()
    hint = svc.credentials.get(SYSTEM, credential.id).secret_hint
    page.reload()
    assert ALREADY_SHOWN in _heading(page)
    page.go_back()
    page.go_forward()
    assert svc.credentials.get(SYSTEM, credential.id).secret_hint == hint
    token = httpx.post(
        base + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(credential.client_id, fresh)
    )
    assert token.status_code == 200, token.text  # the copied secret still works

    # -- Generate Token and Test API Call: reload shows "already shown", issues nothing -------
    page.goto(f"{base}/credentials/{credential.id}")
    page.get_by_role("button", name="Generate Token").click()
    page.get_by_role("heading", name="Token for Billing service").wait_for()
    issued = world.audit_actions().count("token.issued")
    page.reload()
    assert ALREADY_SHOWN in _heading(page)
    assert world.audit_actions().count("token.issued") == issued

    # -- delete: reload and back change nothing (and show no error) -----------------------------
    page.goto(f"{base}/credentials/{credential.id}")
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Delete credential").click()
    page.get_by_text("Credential deleted.").wait_for()
    page.reload()
    assert page.url.startswith(base + "/credentials") and world.credentials() == []
    page.go_back()
    assert world.credentials() == [] and world.audit_actions().count("credential.deleted") == 1

    # -- members: add and remove, reloaded -------------------------------------------------------
    page.goto(base + "/org/members")
    page.get_by_label("Email").fill("carol@acme.test")
    page.get_by_role("button", name="Add member").click()
    page.get_by_text("Member added.").wait_for()
    page.reload()
    members = svc.members.list(SYSTEM, world.org.id).items
    assert len(members) == 3
    page.get_by_role("button", name="Remove carol@acme.test").click()
    page.get_by_text("Member removed.").wait_for()
    page.reload()
    page.go_back()
    assert len(svc.members.list(SYSTEM, world.org.id).items) == 2
    assert world.audit_actions().count("member.removed") == 1
    page.context.close()


def test_reload_after_account_token_create_regenerate_and_revoke(
    browser: Any, live_server_factory: Callable[..., LiveServer]
) -> None:
    world = make_world(live_server_factory())
    base = world.base
    page = new_page(browser, world, MEMBER)

    page.goto(base + "/tokens/new")
    page.get_by_label("Name").fill("CI deploy")
    page.get_by_label("project:read").check()
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("heading", name="Token CI deploy created").wait_for()
    value = page.locator("#new-token").input_value()
    page.reload()
    assert ALREADY_SHOWN in _heading(page) and value not in page.content()
    page.go_back()
    assert len(world.tokens(world.member_id)) == 1
    (token,) = world.tokens(world.member_id)

    page.goto(f"{base}/tokens/{token.id}")
    page.get_by_label("I understand that code using the current value").check()
    page.get_by_role("button", name="Regenerate token").click()
    page.get_by_role("heading", name="New value for token CI deploy").wait_for()
    regenerated = page.locator("#new-token").input_value()
    assert regenerated != value
    page.reload()
    assert ALREADY_SHOWN in _heading(page)
    page.go_back()
    page.go_forward()
    assert world.audit_actions().count("personal_token.regenerated") == 1
    me = httpx.get(base + "/api/me", headers={"Authorization": f"Bearer {regenerated}"})
    assert me.status_code == 200  # the value on the page is the live one

    page.goto(base + "/tokens")
    page.get_by_role("button", name="Revoke CI deploy").click()
    page.get_by_text("Token revoked.").wait_for()
    page.reload()
    page.go_back()
    assert world.tokens(world.member_id) == []
    assert world.audit_actions().count("personal_token.revoked") == 1
    page.context.close()


def test_double_submit_with_one_nonce_acts_once(
    browser: Any, live_server_factory: Callable[..., LiveServer]
) -> None:
    world = make_world(live_server_factory())
    base = world.base
    page = new_page(browser, world, OWNER)

    # A double click on the submit button.
    page.goto(base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill("Double click")
    page.get_by_role("button", name="Create credential").dblclick()
    page.get_by_role("heading", name="Credential Double click created").wait_for()
    assert [c.name for c in world.credentials()] == ["Double click"]

    # Two quick POSTs of one form (same nonce), in the browser's session.
    page.goto(base + "/credentials/new")
    form = {
        "csrf_token": page.locator("input[name=csrf_token]").last.input_value(),
        "form_nonce": page.locator("input[name=form_nonce]").first.input_value(),
        "name": "Twice",
        "kind": "personal",
        "scopes": "api/access",
    }
    answers = [
        page.request.post(base + "/credentials", form=form, headers={"Origin": base}, max_redirects=0)
        for _ in range(2)
    ]
    assert [a.status for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert [c.name for c in world.credentials()].count("Twice") == 1

    # ... and two concurrent ones (a race on the nonce: exactly one acts).
    page.goto(base + "/tokens/new")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token_form = {
        "csrf_token": page.locator("input[name=csrf_token]").last.input_value(),
        "form_nonce": page.locator("form[action='/tokens'] input[name=form_nonce]").input_value(),
        "name": "Raced",
        "scopes": "project:read",
        "expires_in_days": "30",
    }
    locations: list[str] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        with httpx.Client(base_url=base, cookies=cookies, headers={"Origin": base}) as client:
            barrier.wait()
            locations.append(client.post("/tokens", data=token_form).headers["location"])

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(locations) == 2 and locations[0] == locations[1]
    assert [t.name for t in world.tokens(world.owner_id)] == ["Raced"]
    page.context.close()
