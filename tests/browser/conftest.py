"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server.

Skipped with a clear reason when ``/usr/bin/chromium`` is missing on a laptop; a failure when
``CI`` is set (CI installs it: ``apt-get install -y chromium``). Playwright's own browser download
is not used. Screenshots go to ``tests/browser/screenshots/`` (git-ignored); with
``TOKENSMITH_UPDATE_SCREENSHOTS=1`` they refresh the README's copies in ``docs/screenshots/``.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.flows import MEMBER, OWNER, PASSWORD, SYSTEM, make_world, sign_in
from tests.conftest import LiveServer
from tests.dpop_proofs import b64url
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

CHROMIUM = os.environ.get("TOKENSMITH_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("TOKENSMITH_UPDATE_SCREENSHOTS")
    else Path(__file__).resolve().parent / "screenshots"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API runs an event loop in this thread while
    it is open, so it must close before other tests run (they start event loops of their own);
    tests/conftest.py also orders browser tests last."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message + "; CI fails instead of skipping")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def free_port() -> tuple[socket.socket, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


class DemoApi:
    """The demo resource API (``tokensmith.demo``) on a real socket, trusting ``issuer``."""

    def __init__(self) -> None:
        self.sock, self.url = free_port()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self, issuer: str) -> None:
        import uvicorn

        from tokensmith.demo import create_demo_app
        from tokensmith.verify import Verifier

        app = create_demo_app(Verifier(issuer, issuer))
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", loop="asyncio", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the demo API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)


@pytest.fixture
def demo_api() -> Iterator[DemoApi]:
    demo = DemoApi()
    yield demo
    demo.stop()


# ---------------------------------------------------------------------------------------------
# The dashboard: a team to sign in as, and a tour of every page and state
# ---------------------------------------------------------------------------------------------


class DashboardTeam(NamedTuple):
    """A live server with an organisation: an owner, a member, and a user in no organisation."""

    base: str
    services: Services
    org: Organization
    owner: str
    member: str
    orphan: str


@pytest.fixture
def dashboard_team(live_server: LiveServer) -> DashboardTeam:
    world = make_world(live_server)
    svc, orphan = live_server.services, "nora@acme.test"
    svc.organizations.create_user(SYSTEM, orphan, org_id=world.org.id, role=Role.MEMBER, password=PASSWORD)
    svc.members.remove(SYSTEM, world.org.id, orphan)
    return DashboardTeam(world.base, svc, world.org, OWNER, MEMBER, orphan)


#: Tour states photographed for the README, and the file name each is saved under
#: (``<name>-dark.png``, ``<name>-mobile.png``; the journey test takes the light ones).
SCREENSHOT_STATES = {
    "credentials": "credentials",
    "credential-created": "credential-created",
    "generated-token": "generated-token",
    "tokens": "account-tokens",
}

#: The loopback redirect URI of the app the tour authorizes (RFC 8252 §7.3; nothing listens there).
TOUR_CALLBACK = "http://127.0.0.1:53683/callback"
TOUR_VERIFIER = "tour-verifier-" * 4

#: ``check(page, state)``: called on every page and state the tour reaches.
Check = Callable[[Any, str], None]


def _submit(page: Any, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).first.click()
    page.wait_for_load_state()


def _sign_out(page: Any) -> None:
    """Sign out; on a phone the button is behind the Menu button."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
        menu.click()
    _submit(page, "Sign out")


def _reload_if_redirected(page: Any, check: Check, state: str, post_target: str) -> None:
    """A show-once page with its own address (post/redirect/get) shows "already shown" when
    reloaded; a page that is still the POST's answer is not reloaded (that would post again)."""
    if page.url.split("?")[0] != post_target:
        page.reload()
        check(page, state)


def tour_dashboard(page: Any, team: DashboardTeam, check: Check) -> None:
    """Visit every page and state of the dashboard in ``page``, calling ``check`` on each: signed
    out, signed in without an organisation, as the owner (credentials, show-once secrets, tokens,
    Test API Call, organisation pages, errors) and as a member."""
    base = team.base
    page.on("dialog", lambda dialog: dialog.accept())

    # -- signed out ----------------------------------------------------------------------------
    page.goto(base + "/sign-in")
    check(page, "sign-in")
    page.get_by_label("Email").fill(team.owner)
    page.get_by_label("Password").fill("not the password")
    _submit(page, "Sign in")
    check(page, "sign-in-error")
    sign_in(page, base, team.orphan)
    check(page, "no-organisation")
    _sign_out(page)
    check(page, "signed-out")

    # -- API credentials -------------------------------------------------------------------------
    sign_in(page, base, team.owner)
    check(page, "credentials-empty")
    page.goto(base + "/credentials/new")
    check(page, "credential-new")
    page.get_by_label("Name", exact=True).fill("   ")
    _submit(page, "Create credential")
    check(page, "credential-form-errors")
    page.get_by_label("Name", exact=True).fill("Scopeless")
    for box in page.locator("input[name=scopes]:checked").all():
        box.uncheck()
    _submit(page, "Create credential")
    check(page, "credential-no-scope-warning")
    page.goto(base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill("Billing service")
    _submit(page, "Create credential")
    check(page, "credential-created")
    reveal = page.locator("[data-reveal]").first
    if reveal.count():
        reveal.click()
        check(page, "credential-created-revealed")
    _reload_if_redirected(page, check, "credential-already-shown", base + "/credentials")
    page.goto(base + "/credentials")
    check(page, "credentials")
    page.get_by_role("link", name="Billing service").first.click()
    page.get_by_text("Show API Instructions").click()
    check(page, "credential")
    detail = page.url
    _submit(page, "Generate Token")
    check(page, "generated-token")
    _submit(page, "Send request")
    check(page, "test-call-result")
    page.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data/")
    _submit(page, "Send request")
    check(page, "test-call-refused")
    _submit(page, "Send request")
    _reload_if_redirected(page, check, "test-call-already-shown", base + "/test-call")
    page.goto(detail)
    _submit(page, "Generate Token")
    _reload_if_redirected(page, check, "generated-token-already-shown", detail + "/token")
    page.goto(base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill("Org pipeline")
    page.get_by_label(re.compile("Organisation — ")).check()
    _submit(page, "Create credential")
    page.goto(base + "/credentials")
    check(page, "credentials-both-kinds")
    page.goto(base + "/credentials?q=nothing-matches&sort=name")
    check(page, "credentials-no-match")
    page.goto(detail)
    page.locator("#edit-name").fill("   ")
    _submit(page, "Save")
    check(page, "credential-edit-errors")
    page.goto(detail)
    page.get_by_label("Keep the old secret working for").select_option("86400")
    page.get_by_label(re.compile("I understand that code using the old secret")).check()
    _submit(page, "Regenerate secret")
    check(page, "secret-regenerated")
    _reload_if_redirected(page, check, "regenerated-secret-already-shown", detail + "/regenerate")
    page.goto(base + "/credentials/no-such-credential")
    check(page, "error-not-found")

    # -- account tokens --------------------------------------------------------------------------
    page.goto(base + "/tokens")
    check(page, "tokens-empty")
    page.goto(base + "/tokens/new")
    check(page, "token-new")
    _submit(page, "Create token")
    check(page, "token-form-errors")
    page.get_by_label("Name", exact=True).fill("CI deploy")
    page.get_by_label(re.compile(r"project:read")).first.check()
    page.get_by_label("Expiration").select_option("")
    _submit(page, "Create token")
    check(page, "token-no-expiry-warning")
    page.get_by_label("Expiration").select_option("30")
    _submit(page, "Create token without expiry")  # the label of the confirm step; 30 days now
    check(page, "token-created")
    _reload_if_redirected(page, check, "token-already-shown", base + "/tokens")
    page.goto(base + "/tokens")
    check(page, "tokens")
    page.goto(base + "/tokens?q=nothing-matches&status=expired&sort=name")
    check(page, "tokens-filtered")
    page.goto(base + "/tokens")
    page.get_by_role("link", name="CI deploy").first.click()
    check(page, "token")
    token_page = page.url
    page.locator("#edit-name").fill("   ")
    _submit(page, "Save")
    check(page, "token-edit-errors")
    page.goto(token_page)
    page.get_by_label(re.compile("I understand that code using the current value")).check()
    _submit(page, "Regenerate token")
    check(page, "token-regenerated")
    page.goto(token_page)
    page.get_by_label(re.compile("I understand that revoked tokens stop working")).check()
    _submit(page, "Revoke token")
    check(page, "token-revoked")

    # -- organisation pages ----------------------------------------------------------------------
    for path, state in (("/org/members", "members"), ("/org/policy", "policy"), ("/org/audit", "audit")):
        page.goto(base + path)
        check(page, state)
    page.goto(base + "/org/audit?action=nothing.")
    check(page, "audit-empty")
    webhook = _tour_webhooks(page, base, check)
    tour_authorization(page, base, check)
    page.goto(detail)
    page.get_by_label(re.compile("I understand that this cannot be undone")).check()
    _submit(page, "Delete credential")
    check(page, "credential-deleted")
    _tour_webhook_deliveries(page, webhook, check)
    _sign_out(page)

    # -- a member -------------------------------------------------------------------------------
    sign_in(page, base, team.member)
    check(page, "member-credentials")
    page.goto(base + "/org/members")
    check(page, "error-forbidden")


def _tour_webhooks(page: Any, base: str, check: Check) -> str:
    """Register a webhook endpoint (a refused URL first) for ``credential.deleted``; its page's URL."""
    page.goto(base + "/org/webhooks")
    check(page, "webhooks-empty")
    page.get_by_label("URL", exact=True).fill("http://127.0.0.1:9/hook")
    page.get_by_label(re.compile(r"credential\.deleted")).check()
    _submit(page, "Register endpoint")
    check(page, "webhook-form-errors")
    page.get_by_label("URL", exact=True).fill("https://hooks.example.com/tokensmith")
    _submit(page, "Register endpoint")
    check(page, "webhook-created")
    endpoint: str = page.get_by_role("link", name=re.compile("I copied the secret")).get_attribute("href")
    _reload_if_redirected(page, check, "webhook-already-shown", base + "/org/webhooks")
    page.goto(base + "/org/webhooks")
    check(page, "webhooks")
    return base + endpoint


def _tour_webhook_deliveries(page: Any, endpoint: str, check: Check) -> None:
    """The endpoint's page with the delivery the credential's deletion queued: replay, disable, delete."""
    page.goto(endpoint)
    check(page, "webhook")
    page.get_by_role("button", name=re.compile(r"^Replay credential\.deleted delivery ")).click()
    page.wait_for_load_state()
    check(page, "webhook-replayed")
    _submit(page, "Disable endpoint")
    check(page, "webhook-disabled")
    page.get_by_label(re.compile("I understand that this cannot be undone and its queued")).check()
    _submit(page, "Delete endpoint")
    check(page, "webhook-deleted")


def tour_authorization(page: Any, base: str, check: Check) -> None:
    """The authorization code flow's pages, signed in: Authorized apps empty, the consent page
    (the app registered by RFC 7591, its loopback callback answered by a route), the app
    authorized, then revoked."""
    page.goto(base + "/apps")
    check(page, "authorized-apps-empty")
    registered = page.request.post(
        base + "/oauth2/register",
        data={"client_name": "Tour assistant", "redirect_uris": [TOUR_CALLBACK]},
    )
    assert registered.status == 201, registered.text()
    challenge = b64url(hashlib.sha256(TOUR_VERIFIER.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": registered.json()["client_id"],
            "redirect_uri": TOUR_CALLBACK,
            "state": "tour",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": "tokens:read credentials:read",
        }
    )
    page.route(
        TOUR_CALLBACK + "*",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Done</title>"
        ),
    )
    page.goto(f"{base}/oauth2/authorize?{query}")
    check(page, "consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(re.compile(re.escape(TOUR_CALLBACK) + r"\?code="))
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    exchanged = page.request.post(
        base + "/oauth2/token",
        form={
            "grant_type": "authorization_code",
            "client_id": registered.json()["client_id"],
            "code": code,
            "redirect_uri": TOUR_CALLBACK,
            "code_verifier": TOUR_VERIFIER,
        },
    )
    assert exchanged.status == 200, exchanged.text()
    page.goto(base + "/apps")
    check(page, "authorized-apps")
    _submit(page, "Revoke Tour assistant")
    check(page, "authorized-app-revoked")


# ---------------------------------------------------------------------------------------------
# axe-core (bundled by the axe-playwright-python package; read as a file, not imported)
# ---------------------------------------------------------------------------------------------


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core's default rules (WCAG 2.x A/AA and best practices) on ``page``."""
    from importlib.resources import files

    script = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(script)
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per rule and one per offending node, for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')!r}")
    return "\n".join(lines)
