"""The SDK's loopback authorization-code helper (RFC 8252 §7.3) against the real server on a socket: it
discovers, registers, opens the "browser" (a person signing in and consenting through the real pages,
then following the redirect to the helper's loopback listener), checks state and iss, exchanges the
code and refreshes. Then what it refuses: a denial, a forged state, another issuer."""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import LiveServer, LogLeakGuard
from tests.http.authorization_support import PASSWORD, Person, make_person
from tokensmith.client import (
    AuthorizationError,
    LoopbackAuthorization,
    ManagementClient,
    NotFoundError,
    PersonalTokenAuth,
    TokenRequestError,
)
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.roles import Role

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.log_guard_ignore("httpx", "httpcore"),
]
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CHECKED = re.compile(r'<input type="checkbox" name="scopes" value="([^"]+)" checked>')
SELECTED_ORG = re.compile(r'<option value="([^"]+)" selected>')


@pytest.fixture
def clock() -> FrozenClock:
    """The live server's clock (this folder's conftest fakes one for the SDK's own tests)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def person_browser(
    server: LiveServer, email: str, *, decision: str = "allow", tamper: dict[str, str] | None = None
) -> Any:
    """``open_browser``: in a thread (like a real browser), sign in, consent, follow the redirect."""

    def follow(url: str) -> None:
        with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as http:
            sign_in = http.get(http.get(url).headers["location"])
            fields = {n: html.unescape(v) for n, v in HIDDEN.findall(sign_in.text)}
            signed = http.post("/sign-in", data={**fields, "email": email, "password": PASSWORD})
            consent = http.get(signed.headers["location"])
            data = [(n, html.unescape(v)) for n, v in HIDDEN.findall(consent.text)]
            data += [("scopes", s) for s in CHECKED.findall(consent.text)] + [("decision", decision)]
            data += [("org_id", org) for org in SELECTED_ORG.findall(consent.text)[-1:]]
            answer = http.post(
                "/oauth2/authorize",
                content=urlencode(data),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            location = answer.headers["location"]
            if tamper:
                base, _, query = location.partition("?")
                params = dict(p.split("=", 1) for p in query.split("&")) | tamper
                location = base + "?" + "&".join(f"{k}={v}" for k, v in params.items())
            httpx.get(location)  # the browser lands on the helper's loopback listener

    def open_browser(url: str) -> None:
        threading.Thread(target=follow, args=(url,), daemon=True).start()

    return open_browser


def members_helper(live_server: LiveServer) -> tuple[Person, LoopbackAuthorization]:
    """A member of a new organisation, and the helper whose "browser" signs them in and consents."""
    person = make_person(live_server.services, Role.MEMBER)
    helper = LoopbackAuthorization(
        live_server.url,
        scope="tokens:read",
        open_browser=person_browser(live_server, person.email),
        timeout=60,
    )
    return person, helper


def test_a_cli_signs_the_person_in_and_refreshes(live_server: LiveServer, log_guard: LogLeakGuard) -> None:
    person, helper = members_helper(live_server)
    with helper:
        check_sign_in_and_refresh(helper, live_server, person.email, log_guard)


def check_sign_in_and_refresh(
    helper: LoopbackAuthorization, live_server: LiveServer, email: str, log_guard: LogLeakGuard
) -> None:
    tokens = helper.run()
    log_guard.remember(tokens.access_token, tokens.refresh_token or "")
    assert tokens.scope == "tokens:read" and tokens.refresh_token and tokens.refresh_token.startswith("tsr_")
    assert "tsr_" not in repr(tokens) and tokens.access_token not in repr(tokens)
    me = httpx.get(f"{live_server.url}/api/me", headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert me.status_code == 200 and me.json()["user"]["email"] == email
    renewed = helper.refresh(tokens)
    log_guard.remember(renewed.access_token, renewed.refresh_token or "")
    assert renewed.refresh_token != tokens.refresh_token
    with pytest.raises(TokenRequestError) as reused:
        helper.refresh(tokens)  # the rotated-out one: reuse
    assert reused.value.error == "invalid_grant"


def test_a_denial_is_an_authorization_error(live_server: LiveServer) -> None:
    person = make_person(live_server.services, Role.MEMBER)
    helper = LoopbackAuthorization(
        live_server.url,
        scope="tokens:read",
        open_browser=person_browser(live_server, person.email, decision="deny"),
        timeout=60,
    )
    with pytest.raises(AuthorizationError) as denied, helper:
        helper.run()
    assert denied.value.error == "access_denied"


@pytest.mark.parametrize(
    ("tamper", "error"),
    [({"state": "forged"}, "state_mismatch"), ({"iss": "https%3A%2F%2Fevil.example"}, "issuer_mismatch")],
)
def test_a_tampered_redirect_is_refused(live_server: LiveServer, tamper: dict[str, str], error: str) -> None:
    person = make_person(live_server.services, Role.MEMBER)
    helper = LoopbackAuthorization(
        live_server.url,
        scope="tokens:read",
        open_browser=person_browser(live_server, person.email, tamper=tamper),
        timeout=60,
    )
    with pytest.raises(AuthorizationError) as refused, helper:
        helper.run()
    assert refused.value.error == error


def test_no_redirect_times_out(live_server: LiveServer) -> None:
    helper = LoopbackAuthorization(
        live_server.url, scope="tokens:read", open_browser=lambda url: None, timeout=1.5
    )
    with pytest.raises(AuthorizationError) as late, helper:
        helper.run()
    assert late.value.error == "timeout"


def test_the_sdk_lists_and_revokes_the_persons_authorized_apps(
    live_server: LiveServer, log_guard: LogLeakGuard
) -> None:
    person, helper = members_helper(live_server)
    with helper:
        tokens = helper.run()
        log_guard.remember(tokens.access_token, tokens.refresh_token or "")
        pat = live_server.services.personal_tokens.create(
            Actor.system(),
            name="sdk",
            scopes=["tokens:read", "tokens:write"],
            org_id=person.org.id,
            user_id=person.user_id,
        )
        with ManagementClient(live_server.url, PersonalTokenAuth(pat.plain)) as client:
            apps = client.list_authorized_apps()
            assert [(a.client_name, a.scopes, a.org_id) for a in apps] == [
                ("Tokensmith CLI", ("tokens:read",), person.org.id)
            ]
            assert apps.items[0].created_at <= apps.items[0].last_used_at < apps.items[0].expires_at
            client.revoke_authorized_app(apps.items[0].id)
            assert len(client.list_authorized_apps()) == 0
            client.revoke_authorized_app(apps.items[0].id)  # again: nothing left to do
            with pytest.raises(NotFoundError):
                client.revoke_authorized_app("00000000-0000-4000-8000-000000000000")
        with pytest.raises(TokenRequestError):
            helper.refresh(tokens)
