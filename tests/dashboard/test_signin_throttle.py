"""Dashboard sign-in throttling: guesses never lock the real user out.

The token endpoint's rule (services/auth_failures.py): an *address* over the limit is refused
up front; an *account* over the limit is refused only when the presented password is also
wrong. Each browser below comes from its own address (``TestClient(client=(ip, port))``), so
no forwarded-for header is involved. The limit is the default, 20 failures a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.dashboard.conftest import PASSWORD, Team, csrf_of
from tokensmith.core.errors import SlowDown, Unauthenticated
from tokensmith.services.container import Services

LIMIT = 20  # Settings.auth_failures_per_minute's default


def _browser(app: Any, ip: str) -> TestClient:
    # The app's lifespan already runs under the ``client`` fixture.
    return TestClient(app, base_url="http://testserver", client=(ip, 40000))


def _attempt(browser: TestClient, email: str, password: str) -> Any:
    form = browser.get("/sign-in")
    return browser.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


def test_guesses_from_25_addresses_do_not_lock_out_the_right_password(
    app: Any, client: Any, team: Team
) -> None:
    for n in range(25):
        wrong = _attempt(_browser(app, f"198.51.100.{n + 1}"), team.owner_email, f"guess {n}")
        assert wrong.status_code in (401, 429), wrong.text
    # The account is over the limit now: a wrong password is refused with Retry-After…
    refused = _attempt(_browser(app, "203.0.113.7"), team.owner_email, "one more guess")
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert "Too many failed attempts" in refused.text
    assert "tokensmith_session" not in refused.cookies
    # …but the right password from a fresh address signs in.
    right = _attempt(_browser(app, "203.0.113.8"), team.owner_email, PASSWORD)
    assert right.status_code == 303, right.text
    assert right.headers["location"] == "/credentials"
    assert right.cookies.get("tokensmith_session")


def test_one_address_over_the_limit_is_refused_with_retry_after(app: Any, client: Any, team: Team) -> None:
    browser = _browser(app, "192.0.2.10")
    answers = [_attempt(browser, team.member_email, f"wrong {n}").status_code for n in range(LIMIT - 1)]
    assert answers == [401] * (LIMIT - 1)
    over = _attempt(browser, team.member_email, "wrong again")  # the failure that reaches the limit
    assert over.status_code == 429, over.text
    assert int(over.headers["retry-after"]) >= 1
    assert "Too many failed attempts. Try again in" in over.text
    # An address over the limit is refused before any password check, even a right one …
    assert _attempt(browser, team.owner_email, PASSWORD).status_code == 429
    # … while the account itself, from elsewhere, still signs in.
    assert _attempt(_browser(app, "192.0.2.11"), team.member_email, PASSWORD).status_code == 303


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_rule_at_the_service(services: Services, team: Team) -> None:
    for n in range(LIMIT + 5):
        with pytest.raises((Unauthenticated, SlowDown)):
            services.sessions.sign_in(team.owner_email, f"guess {n}", ip=f"198.51.100.{n + 1}")
    with pytest.raises(SlowDown):
        services.sessions.sign_in(team.owner_email, "guess", ip="203.0.113.1")
    issued = services.sessions.sign_in(team.owner_email, PASSWORD, ip="203.0.113.2")
    assert services.sessions.resolve(issued.session_id) is not None
