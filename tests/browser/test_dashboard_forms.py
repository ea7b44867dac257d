"""The dashboard's forms and lists in a real Chromium: errors next to their field with what was
typed kept, the scope picker offering only grantable scopes (grouped by resource), the no-scope
and no-expiry confirm steps, a custom expiry date checked against the policy, the policy shown in
the form, and the token list's search, status filter, sort, badges and empty states."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.flows import MEMBER, OWNER, SYSTEM, make_world, new_page
from tests.conftest import LiveServer
from tokensmith.core.clock import FrozenClock

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_credential_form_errors_scopes_and_no_scope_confirm(
    browser: Any, live_server_factory: Callable[..., LiveServer]
) -> None:
    world = make_world(live_server_factory())
    base = world.base
    page = new_page(browser, world, MEMBER)

    page.goto(base + "/credentials")
    page.get_by_role("link", name="New credential").click()
    # Only what a member may grant: no operator scope, no admin-only scope; grouped by resource.
    offered = page.locator("input[name=scopes]").evaluate_all("els => els.map(e => e.value)")
    assert "tokens:introspect" not in offered and "members:write" not in offered
    assert "api/access" in offered and "project:read" in offered
    group = page.locator("fieldset.scope-group", has_text="Project")
    assert group.locator("input[name=scopes]").evaluate_all("els => els.map(e => e.value)") == [
        "project:read",
        "project:write",
    ]
    assert "Personal credentials: allowed" in page.locator(".policy-summary").inner_text()

    # A refusal: shown next to the field, the typed values kept, nothing created.
    page.get_by_label("Name", exact=True).fill("bad\x1bname")
    page.get_by_label("Description (optional)").fill("kept description")
    page.get_by_role("button", name="Create credential").click()
    name = page.get_by_label("Name", exact=True)
    assert name.get_attribute("aria-invalid") == "true"
    error_id = name.get_attribute("aria-describedby")
    assert error_id == "name-error"
    assert "control characters" in page.locator(f"#{error_id}").inner_text()
    assert page.get_by_label("Description (optional)").input_value() == "kept description"
    assert page.get_by_role("alert").first.is_visible()
    assert world.credentials() == []

    # No scope: a warning and a second, deliberate click.
    name.fill("Scopeless")
    for box in page.locator("input[name=scopes]:checked").all():
        box.uncheck()
    page.get_by_role("button", name="Create credential").click()
    warning = page.locator("#scopes-warning")
    assert "No scope is chosen" in warning.inner_text()
    assert world.credentials() == []
    page.get_by_role("button", name="Create credential without scopes").click()
    page.get_by_role("heading", name="Credential Scopeless created").wait_for()
    assert [sorted(c.scopes) for c in world.credentials()] == [[]]
    page.context.close()


def test_token_form_expiry_policy_and_confirm(
    browser: Any, live_server_factory: Callable[..., LiveServer]
) -> None:
    world = make_world(live_server_factory())
    base, svc = world.base, world.live.services
    page = new_page(browser, world, MEMBER)

    page.goto(base + "/tokens/new")
    offered = page.locator("input[name=scopes]").evaluate_all("els => els.map(e => e.value)")
    assert "tokens:introspect" not in offered
    assert "Tokens may be created without an expiry" in page.locator(".policy-summary").inner_text()

    # No scope: refused by the service, the error next to the scopes.
    page.get_by_label("Name").fill("CLI")
    page.get_by_role("button", name="Create token").click()
    assert "Choose at least one scope" in page.locator("#scopes-error").inner_text()
    assert page.locator("#scopes").get_attribute("aria-describedby") == "scopes-hint scopes-error"
    assert page.get_by_label("Name").input_value() == "CLI"

    # No expiry: a warning and a second click.
    page.get_by_label("project:read").check()
    page.get_by_label("Expiration").select_option(value="")
    page.get_by_role("button", name="Create token").click()
    assert "No expiry" in page.locator("#expiry-warning").inner_text()
    assert world.tokens(world.member_id) == []
    page.get_by_role("button", name="Create token without expiry").click()
    page.get_by_role("heading", name="Token CLI created").wait_for()
    (token,) = world.tokens(world.member_id)
    assert token.expires_at is None

    # A policy limit: shown in the form, and a custom date beyond it refused next to the field.
    svc.policies.update(SYSTEM, world.org.id, {"pat_max_lifetime_days": 30})
    page.goto(base + "/tokens/new")
    assert "at most 30 days" in page.locator(".policy-summary").inner_text()
    options = page.get_by_label("Expiration").locator("option").evaluate_all("els => els.map(e => e.value)")
    assert "" not in options and "90" not in options and "custom" in options
    page.get_by_label("Name").fill("Dated")
    page.get_by_label("project:read").check()
    page.get_by_label("Expiration").select_option("custom")
    now = svc.clock.now()
    far = (now.date().replace(year=now.year + 1)).isoformat()
    page.get_by_label("Custom expiry date").fill(far)
    page.get_by_role("button", name="Create token").click()
    assert "at most 30 days" in page.locator("#expiry-error").inner_text()
    assert page.get_by_label("Expiration").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Custom expiry date").input_value() == far
    soon = (now + timedelta(days=10)).date().isoformat()
    page.get_by_label("Custom expiry date").fill(soon)
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("heading", name="Token Dated created").wait_for()
    dated = next(t for t in world.tokens(world.member_id) if t.name == "Dated")
    assert dated.expires_at is not None and dated.expires_at.date().isoformat() == soon
    page.context.close()


def test_token_list_search_filter_sort_badges_and_empty_states(
    browser: Any, live_server_factory: Callable[..., LiveServer], clock: FrozenClock
) -> None:
    world = make_world(live_server_factory())
    base, svc = world.base, world.live.services
    page = new_page(browser, world, OWNER)

    page.goto(base + "/tokens")
    assert "You have no account tokens yet" in page.locator(".empty").inner_text()
    assert page.get_by_role("link", name="New token").is_visible()

    def make(name: str, days: int | None, description: str = "") -> str:
        created = svc.personal_tokens.create(
            SYSTEM,
            name=name,
            scopes=["project:read"],
            description=description,
            expires_in_days=days,
            org_id=world.org.id,
            user_id=world.owner_id,
        )
        return created.token.id

    make("Old one", 1)
    clock.advance(days=2)  # "Old one" has expired
    make("Deploy bot", 90, "pushes releases")
    make("Nightly", 3)
    revoked = make("Retired", 30)
    svc.personal_tokens.revoke(SYSTEM, revoked)

    def names() -> list[str]:
        return list(page.locator("tbody tr td:first-child a").all_inner_texts())

    page.context.close()  # two days later the session has expired: sign in again
    page = new_page(browser, world, OWNER)
    page.goto(base + "/tokens")
    rows = page.locator("tbody tr")
    assert rows.count() == 3  # revoked tokens are not in the default view
    badges = {
        rows.nth(i).locator("td").first.locator("a").inner_text(): rows.nth(i).locator(".badge").inner_text()
        for i in range(3)
    }
    assert badges == {"Nightly": "Expiring soon", "Deploy bot": "Active", "Old one": "Expired"}
    assert (
        page.locator("tr", has_text="Deploy bot").locator("td.description").inner_text() == "pushes releases"
    )

    page.get_by_label("Status").select_option("expiring")
    page.get_by_role("button", name="Apply").click()
    assert "status=expiring" in page.url
    assert names() == ["Nightly"]

    page.goto(base + "/tokens?status=revoked")
    assert names() == ["Retired"]
    assert page.locator("tbody tr").get_by_role("button", name="Revoke Retired").count() == 0

    page.goto(base + "/tokens?q=releases")
    assert names() == ["Deploy bot"]
    page.goto(base + "/tokens?sort=name&status=all")
    assert names() == ["Deploy bot", "Nightly", "Old one", "Retired"]
    page.goto(base + "/tokens?sort=expires")
    assert names() == ["Old one", "Nightly", "Deploy bot"]

    page.goto(base + "/tokens?q=nothing-like-this")
    assert "No tokens match these filters" in page.locator(".empty").inner_text()
    page.get_by_role("link", name="Clear the filters").click()
    assert page.locator("tbody tr").count() == 3

    # The expiry column says it relatively, with the exact time on hover.
    cell = page.locator("tr", has_text="Nightly").locator("time").first
    assert cell.inner_text() == "in 3 days" and cell.get_attribute("title", timeout=1000)
    page.context.close()
