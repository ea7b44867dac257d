"""The whole dashboard journey in a real Chromium against a live server (seeds 000 and 001).

Sign in; create a personal credential ("New credential") and copy its secret; run the curl sample from the
instructions panel against the live server; generate a token and read its claims; test an API
call (the demo API); create an account token, see "Never", use it, see a last-used time, revoke
it and see it refused; a member cannot reach organisation-credential actions; a cross-site POST
is refused; sign-out kills the session. Screenshots: see conftest.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DemoApi
from tests.browser.flows import PASSWORD, sign_in
from tests.conftest import LiveServer
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_dashboard_journey(
    browser: Any,
    live_server_factory: Callable[..., LiveServer],
    demo_api: DemoApi,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    live = live_server_factory(
        test_call_allowed_origins=demo_api.url, test_call_default_url=demo_api.url + "/api/whoami"
    )
    demo_api.start(live.url)
    base = live.url
    svc = live.services
    system = Actor.system()
    org = svc.organizations.create(system, "Acme Robotics")
    svc.organizations.create_user(system, "ada@acme.test", org_id=org.id, role=Role.OWNER, password=PASSWORD)
    svc.organizations.create_user(system, "bob@acme.test", org_id=org.id, role=Role.MEMBER, password=PASSWORD)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    # -- sign in ------------------------------------------------------------------------------
    page.goto(base + "/credentials")
    assert page.url.startswith(base + "/sign-in")
    page.screenshot(path=str(screenshot_dir / "sign-in.png"))
    sign_in(page, base, "ada@acme.test")
    cookie = next(c for c in context.cookies() if c["name"] == "tokensmith_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # -- create a personal credential; the secret is shown once, with a copy button -------------
    page.get_by_role("link", name="New credential").click()
    page.get_by_label("Name", exact=True).fill("Billing service")
    page.get_by_role("button", name="Create credential").click()
    page.get_by_role("heading", name="Credential Billing service created").wait_for()
    assert "shown only once" in page.get_by_role("alert").inner_text()
    secret = page.locator("#client-secret").input_value()
    client_id = page.locator("#client-id").input_value()
    assert secret.startswith("tss_") and len(client_id) == 26
    page.locator("[data-copy='#client-secret']").click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.screenshot(path=str(screenshot_dir / "credential-created.png"), full_page=True)

    # -- the curl sample from the instructions panel, run against the live server ---------------
    page.get_by_role("tab", name="curl").click()
    curl_code = page.locator("#code-curl").inner_text()
    assert client_id in curl_code and base + "/oauth2/token" in curl_code
    script = tmp_path / "get_token.sh"
    script.write_text(curl_code)
    # The sample as a user copies it from the page (its values are literals the samples module quoted).
    run = subprocess.run(  # noqa: S603
        ["/bin/sh", str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert run.returncode == 0, run.stderr
    token_response = json.loads(run.stdout)
    assert token_response["token_type"] == "Bearer" and token_response["scope"] == "api/access"
    page.get_by_role("tab", name="Python (requests)").click()
    assert page.locator("#panel-python").is_visible() and not page.locator("#panel-curl").is_visible()

    # -- Generate Token: the token with its decoded header and claims --------------------------
    page.get_by_role("button", name="Generate Token").click()
    page.get_by_role("heading", name="Token for Billing service").wait_for()
    claims = json.loads(page.locator("#token-claims").inner_text())
    header = json.loads(page.locator("#token-header").inner_text())
    assert claims["client_id"] == client_id and claims["sub"] == client_id
    assert claims["token_use"] == "access" and claims["version"] == 2 and claims["iss"] == base
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    page.screenshot(path=str(screenshot_dir / "generated-token.png"), full_page=True)

    # -- Test API Call: the demo API, with the generated token (pre-filled) ---------------------
    assert page.get_by_label("URL").input_value() == demo_api.url + "/api/whoami"
    page.get_by_role("button", name="Send request").click()
    page.locator("#response-status").wait_for()
    assert page.locator("#response-status").inner_text().startswith("200")
    body = json.loads(page.locator("#response-body").inner_text())
    assert body["client_id"] == client_id
    assert "content-type" in page.locator("#response-headers").inner_text()
    page.screenshot(path=str(screenshot_dir / "test-api-call.png"), full_page=True)
    # ... and never anywhere else (SSRF): the server refuses other origins.
    page.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_role("button", name="Send request").click()
    assert "only calls this deployment" in page.get_by_role("alert").first.inner_text()

    # -- the credential's page: instructions, danger zone -------------------------------------
    page.goto(base + "/credentials")
    page.get_by_role("link", name="Billing service", exact=True).click()
    page.get_by_text("Show API Instructions").click()
    assert "YOUR_CLIENT_SECRET" in page.locator("#code-curl").inner_text()
    page.screenshot(path=str(screenshot_dir / "credential.png"), full_page=True)
    page.goto(base + "/credentials")
    page.screenshot(path=str(screenshot_dir / "credentials.png"), full_page=True)

    # -- an organisation credential, which the member must not be able to act on ---------------
    page.get_by_role("link", name="New credential").click()
    page.get_by_label("Name", exact=True).fill("Org pipeline")
    page.get_by_label(re.compile("Organisation — a global credential")).check()
    page.get_by_role("button", name="Create credential").click()
    page.get_by_role("heading", name="Credential Org pipeline created").wait_for()
    org_credential = next(
        c for c in svc.credentials.list(system, org_id=org.id).items if c.kind is CredentialKind.ORGANIZATION
    )

    # -- account tokens: create, "Never", use, last used, revoke, refused -----------------------
    page.get_by_role("link", name="Account tokens").click()
    page.get_by_role("link", name="New token").click()
    page.get_by_label("Name").fill("CI deploy")
    page.get_by_label(re.compile(r"project:read —")).check()
    page.get_by_label("Expiration").select_option("30")
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("heading", name="Token CI deploy created").wait_for()
    personal_token = page.locator("#new-token").input_value()
    assert personal_token.startswith("tsp_")
    page.screenshot(path=str(screenshot_dir / "account-token-created.png"), full_page=True)
    page.get_by_role("link", name="Done — I copied the token").click()
    row = page.locator("tr", has_text="CI deploy")
    assert row.locator(".last-used").inner_text() == "Never"
    me = httpx.get(base + "/api/me", headers={"Authorization": f"Bearer {personal_token}"})
    assert me.status_code == 200 and me.json()["auth"] == "personal_token"
    page.reload()
    last_used = page.locator("tr", has_text="CI deploy").locator(".last-used time")
    assert last_used.inner_text() == "just now" or last_used.inner_text().endswith(" ago")
    assert (last_used.get_attribute("title") or "").endswith("UTC")  # the exact time, on hover
    page.screenshot(path=str(screenshot_dir / "account-tokens.png"), full_page=True)
    page.locator("tr", has_text="CI deploy").get_by_role("button", name="Revoke CI deploy").click()
    page.get_by_text("Token revoked. It no longer works.").wait_for()
    assert page.locator("tr", has_text="CI deploy").count() == 0
    refused = httpx.get(base + "/api/me", headers={"Authorization": f"Bearer {personal_token}"})
    assert refused.status_code == 401

    # -- organisation pages -------------------------------------------------------------------
    for name, shot in (("Members", "members.png"), ("Policy", "policy.png"), ("Audit log", "audit-log.png")):
        page.get_by_role("link", name=name).click()
        page.get_by_role("heading", level=1).wait_for()
        page.screenshot(path=str(screenshot_dir / shot), full_page=True)
    assert page.locator("code", has_text="personal_token.revoked").count() >= 1
    page.get_by_label("Action starts with").fill("credential.")
    page.get_by_role("button", name="Filter").click()
    actions = page.locator("td code").all_inner_texts()
    assert actions and all(a.startswith("credential.") for a in actions if "." in a and " " not in a)
    page_text = page.content()
    assert secret not in page_text and personal_token not in page_text  # no secret in the audit log

    # -- a cross-site POST without the CSRF token is refused -----------------------------------
    attacker = context.new_page()
    attacker.set_content(
        f'<form method="post" action="{base}/credentials"><input name="name" value="planted">'
        '<input name="kind" value="personal"><button>go</button></form>'
    )
    with attacker.expect_navigation() as navigation:
        attacker.get_by_role("button", name="go").click()
    assert navigation.value.status == 403
    attacker.close()
    assert "planted" not in {c.name for c in svc.credentials.list(system, org_id=org.id).items}

    # -- a member: no organisation-credential actions -----------------------------------------
    member_context = browser.new_context(viewport={"width": 1280, "height": 900})
    member = member_context.new_page()
    sign_in(member, base, "bob@acme.test")
    member.goto(base + "/credentials/new")
    member.get_by_label("Name", exact=True).wait_for()
    assert member.get_by_label(re.compile("Organisation — a global credential")).count() == 0
    member.goto(base + "/credentials")
    org_row = member.locator("tr", has_text="Org pipeline")
    assert org_row.get_by_role("button", name=re.compile("Generate Token")).count() == 0
    assert "Admins only" in org_row.inner_text()
    assert member.get_by_role("link", name="Members").count() == 0
    member.screenshot(path=str(screenshot_dir / "member-view.png"), full_page=True)
    member.goto(f"{base}/credentials/{org_credential.id}")
    assert member.get_by_role("button", name="Generate Token").count() == 0
    assert member.get_by_text("Danger zone").count() == 0
    csrf = member.locator("input[name=csrf_token]").first.input_value()
    for action in ("token", "regenerate", "delete"):
        answer = member.request.post(
            f"{base}/credentials/{org_credential.id}/{action}",
            form={"csrf_token": csrf, "confirm": "yes"},
            headers={"Origin": base},
        )
        assert answer.status == 403, action
    assert member.goto(base + "/org/members").status == 403
    member_context.close()

    # -- sign-out kills the session ------------------------------------------------------------
    session_cookie = next(c for c in context.cookies() if c["name"] == "tokensmith_session")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    replay = browser.new_context()
    replay.add_cookies([session_cookie])
    replayed = replay.new_page()
    replayed.goto(base + "/credentials")
    assert replayed.url.startswith(base + "/sign-in")
    replay.close()
    context.close()
