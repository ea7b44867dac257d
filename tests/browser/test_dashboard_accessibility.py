"""axe-core on every dashboard page and state, in the light and the dark theme: zero violations
of any impact (minor included). The tour (conftest.py) signs in as a user with no organisation,
the owner and a member, and stops on each show-once page, form error, list, detail, organisation
page, the consent page, Authorized apps and error page. With ``TOKENSMITH_UPDATE_SCREENSHOTS=1``
the dark tour refreshes the README's dark screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    SCREENSHOT_STATES,
    DashboardTeam,
    axe_violations,
    describe_violations,
    tour_dashboard,
)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_and_state_has_no_axe_violation(
    browser: Any, dashboard_team: DashboardTeam, screenshot_dir: Path, scheme: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    checked: list[str] = []
    failures: dict[str, str] = {}

    def check(page: Any, state: str) -> None:
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark")
        violations = axe_violations(page)
        checked.append(state)
        if violations:
            failures[f"{state} ({page.url})"] = describe_violations(violations)
        if scheme == "dark" and state in SCREENSHOT_STATES:
            shot = screenshot_dir / f"{SCREENSHOT_STATES[state]}-dark.png"
            page.screenshot(path=str(shot), full_page=True)

    tour_dashboard(page, dashboard_team, check)
    context.close()
    assert len(checked) >= 35, checked
    assert {"credential-already-shown", "token-already-shown", "test-call-already-shown"} <= set(checked)
    assert {"webhooks-empty", "webhook-form-errors", "webhook-created", "webhook", "webhook-deleted"} <= set(
        checked
    )
    assert {"consent", "authorized-apps-empty", "authorized-apps", "authorized-app-revoked"} <= set(checked)
    assert not failures, f"axe violations in the {scheme} theme:\n" + "\n".join(
        f"{state}:\n{report}" for state, report in failures.items()
    )
