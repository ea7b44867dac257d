"""Test API Call's own default — ``{issuer}/api/me`` — answers 200 for every kind of token the
dashboard hands out: a personal credential's, an organisation credential's, and the access token
exchanged for an account token (RFC 8693); the result page is a one-time reveal too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.flows import OWNER, make_world, new_page
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def _send_default(page: Any, base: str) -> dict[str, Any]:
    """Press Send request on the console as the page proposes it; the answer's body."""
    assert page.locator("#console-url").input_value() == base + "/api/me"
    page.get_by_role("button", name="Send request").click()
    page.locator("#response-status").wait_for()
    status = page.locator("#response-status").inner_text()
    body = page.locator("#response-body").inner_text()
    assert status.startswith("200"), f"{status}: {body}"
    answer: dict[str, Any] = json.loads(body)
    return answer


def _generate(page: Any, base: str, name: str, kind_label: str | None = None) -> None:
    page.goto(base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill(name)
    if kind_label:
        page.get_by_label(kind_label).check()
    page.get_by_role("button", name="Create credential").click()
    page.get_by_role("heading", name=f"Credential {name} created").wait_for()
    page.get_by_role("button", name="Generate Token").click()
    page.get_by_role("heading", name=f"Token for {name}").wait_for()


def test_default_url_succeeds_for_every_kind_of_token(
    browser: Any, live_server_factory: Callable[..., LiveServer]
) -> None:
    world = make_world(live_server_factory())
    base = world.base
    page = new_page(browser, world, OWNER)

    # A personal credential's token.
    _generate(page, base, "Mine")
    personal = _send_default(page, base)
    assert personal["subject_type"] == "client"
    # The result was shown once: a reload does not send the request again.
    result_url = page.url
    page.reload()
    assert "already shown" in page.get_by_role("heading", level=1).inner_text()
    assert page.url == result_url

    # An organisation credential's token.
    _generate(page, base, "Shared", "Organisation — a global credential for Acme Robotics")
    organisation = _send_default(page, base)
    assert organisation["subject_type"] == "client"
    assert organisation != personal

    # An account token, exchanged for an access token, pasted into the console.
    page.goto(base + "/tokens/new")
    page.get_by_label("Name").fill("Exchange me")
    page.get_by_label("credentials:read").check()
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("heading", name="Token Exchange me created").wait_for()
    account_token = page.locator("#new-token").input_value()
    exchanged = httpx.post(
        base + "/oauth2/token",
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": account_token,
            "subject_token_type": ACCESS_TOKEN_TYPE,
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    access_token = exchanged.json()["access_token"]
    (credential,) = [c for c in world.credentials() if c.name == "Mine"]
    page.goto(f"{base}/credentials/{credential.id}")
    page.locator("#console-token").fill(access_token)
    user = _send_default(page, base)
    assert user["subject_type"] == "user"
    page.context.close()
