"""The authorization code flow over the real app (OAuth 2.1 draft §4.1, RFC 7636, RFC 9207), on SQLite
and PostgreSQL: the person signs in and consents through the real pages; then the hostile cases —
untrusted redirect URIs shown as a page (never redirected), errors redirected with ``state`` and
``iss``, consent CSRF, PKCE, redirect-URI equality and code replay revoking what the code produced."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest

from tests.http.authorization_support import (
    AUTHORIZE,
    LOOPBACK_REDIRECT,
    REDIRECT_URI,
    TOKEN,
    Browser,
    Person,
    authorize_params,
    exchange,
    get_code,
    make_person,
    pkce_pair,
    query_of,
    refresh,
    register,
)
from tests.http.http_support import SQLITE_ONLY
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.errors import InvalidGrant
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.storage.repositories.audit import AuditRepository


@pytest.fixture
def person(services: Services) -> Person:
    return make_person(services)


@pytest.fixture
def app_client(client: Any) -> dict[str, Any]:
    return register(client, [REDIRECT_URI, LOOPBACK_REDIRECT])


@pytest.fixture
def browser(client: Any, person: Person) -> Browser:
    signed_in = Browser(client)
    signed_in.sign_in(person.email)
    return signed_in


def me(client: Any, token: str) -> Any:
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def test_the_whole_flow(client: Any, services: Services, person: Person, app_client: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    # Not signed in yet: the dashboard's sign-in, with the request as `next`.
    first = client.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/sign-in?next=%2Foauth2%2Fauthorize%3F")
    browser = Browser(client)
    browser.sign_in(person.email)
    page = browser.consent_page(params)
    assert page.status_code == 200
    assert "Authorize Test App" in page.text and person.org.name in page.text
    assert "tokens:read" in page.text and "credentials:read" in page.text
    assert "form-action 'self' https://app.example" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    answer = browser.submit(params, org_id=person.org.id)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?code=tsc_")
    query = query_of(location)
    assert query["state"] == params["state"]
    assert query["iss"] == "http://testserver"  # RFC 9207
    token = exchange(client, app_client["client_id"], query["code"], verifier)
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "credentials:read tokens:read"
    assert body["refresh_token"].startswith("tsr_")
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == person.user_id and claims["sub_kind"] == "user"
    assert claims["client_id"] == app_client["client_id"] and claims["org_id"] == person.org.id
    who = me(client, body["access_token"])
    assert who.status_code == 200 and who.json()["user"]["email"] == person.email
    with services.database.transaction() as connection:
        actions = [e.action for e in AuditRepository(connection).list(org_id=person.org.id)]
    assert {"authorization.granted", "authorized_app.created"} <= set(actions)


def test_loopback_redirect_uris_match_with_any_port(
    client: Any, browser: Browser, person: Person, app_client: dict[str, Any]
) -> None:
    verifier, challenge = pkce_pair()
    redirect = "http://127.0.0.1:53682/callback"
    params = authorize_params(app_client["client_id"], challenge, redirect_uri=redirect)
    code = get_code(browser, person.org.id, params)
    assert exchange(client, app_client["client_id"], code, verifier, redirect_uri=redirect).status_code == 200


# -- errors before the redirect URI is trusted: a page, never a redirect --------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "nosuchclientnosuchclient00"},
        {"client_id": ""},
        {"redirect_uri": ""},
        {"redirect_uri": "https://evil.example/callback"},  # open redirect
        {"redirect_uri": REDIRECT_URI + "/"},  # trailing slash
        {"redirect_uri": "https://app.example/callback/more"},  # path
        {"redirect_uri": "https://app.example:8443/callback"},  # port, not loopback
        {"redirect_uri": "https://app.example/callback?x=1"},
        {"redirect_uri": "//evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:1/other"},  # loopback, other path
    ],
)
def test_untrusted_requests_are_shown_never_redirected(
    browser: Browser, app_client: dict[str, Any], change: dict[str, str]
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge) | change
    page = browser.consent_page(params)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "evil.example" not in page.text
    assert "This sign-in link is not valid" in page.text


@SQLITE_ONLY
def test_a_repeated_redirect_uri_is_shown_not_redirected(
    browser: Browser, app_client: dict[str, Any]
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    query = urlencode(params) + "&" + urlencode({"redirect_uri": "https://evil.example/cb"})
    page = browser.http.get(AUTHORIZE + "?" + query, follow_redirects=False)
    assert page.status_code == 400 and "location" not in page.headers


@SQLITE_ONLY
def test_untrusted_requests_are_shown_before_any_sign_in(client: Any, app_client: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge, redirect_uri="https://evil.example/cb")
    page = client.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
    assert page.status_code == 400 and "location" not in page.headers


# -- errors after it: redirected with error, state and iss ------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge": "tooshort"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"scope": "no:such-scope"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),  # and the client registered no default
        ({"resource": "not-a-uri"}, "invalid_target"),
        ({"resource": "https://api.example/#frag"}, "invalid_target"),
    ],
)
def test_errors_after_the_redirect_uri_is_trusted_go_back_to_it(
    browser: Browser, app_client: dict[str, Any], change: dict[str, str], error: str
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge) | change
    answer = browser.http.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    assert query["error"] == error
    assert query["state"] == params["state"]
    assert query["iss"] == "http://testserver"
    assert "code" not in query


@SQLITE_ONLY
def test_plain_is_refused_even_without_a_session(client: Any, app_client: dict[str, Any]) -> None:
    """PKCE ``plain`` is refused before sign-in (nothing is issued to a request that could never succeed)."""
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge, code_challenge_method="plain")
    answer = client.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
    assert answer.status_code == 303
    assert query_of(answer.headers["location"])["error"] == "invalid_request"


# -- consent ---------------------------------------------------------------------------------------------


def test_deny_redirects_access_denied(browser: Browser, person: Person, app_client: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    browser.consent_page(params)
    answer = browser.submit(params, decision="deny", org_id=person.org.id)
    assert answer.status_code == 303
    query = query_of(answer.headers["location"])
    assert query["error"] == "access_denied" and query["state"] == params["state"] and "code" not in query


@SQLITE_ONLY
@pytest.mark.parametrize("csrf", ["", "forged-token"])
def test_consent_needs_the_sessions_csrf_token(
    browser: Browser, person: Person, app_client: dict[str, Any], csrf: str
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    browser.consent_page(params)
    answer = browser.submit(params, org_id=person.org.id, csrf=csrf)
    assert answer.status_code == 403
    assert "location" not in answer.headers


@SQLITE_ONLY
def test_consent_from_another_site_is_refused(
    browser: Browser, person: Person, app_client: dict[str, Any]
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    browser.consent_page(params)
    data = urlencode(
        {
            **params,
            "csrf_token": browser.csrf,
            "decision": "allow",
            "org_id": person.org.id,
            "scopes": "tokens:read",
        }
    )
    answer = browser.http.post(
        AUTHORIZE,
        content=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "location" not in answer.headers


@SQLITE_ONLY
def test_consent_without_a_session_is_refused(client: Any, app_client: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    answer = Browser(client).submit(params, csrf="x")
    assert answer.status_code == 403 and "location" not in answer.headers


def test_the_person_narrows_the_scopes(
    client: Any, browser: Browser, person: Person, app_client: dict[str, Any]
) -> None:
    verifier, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    code = get_code(browser, person.org.id, params, scopes=["tokens:read"])
    token = exchange(client, app_client["client_id"], code, verifier).json()
    assert token["scope"] == "tokens:read"


@SQLITE_ONLY
def test_a_member_cannot_grant_admin_only_scopes(
    browser: Browser, person: Person, app_client: dict[str, Any]
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge, scope="tokens:read members:write")
    page = browser.consent_page(params)
    assert 'value="members:write" disabled' in page.text
    forged = browser.submit(params, org_id=person.org.id, scopes=["tokens:read", "members:write"])
    assert forged.status_code == 400 and "location" not in forged.headers
    assert "members:write" in forged.text


@SQLITE_ONLY
def test_nothing_chosen_is_not_a_consent(
    browser: Browser, person: Person, app_client: dict[str, Any]
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    browser.consent_page(params)
    answer = browser.submit(params, org_id=person.org.id, scopes=[])
    assert answer.status_code == 400 and "location" not in answer.headers


def test_the_person_chooses_the_organisation(
    client: Any, services: Services, person: Person, app_client: dict[str, Any]
) -> None:
    other = services.organizations.create(Actor.system(), "Second Org")
    services.members.add(Actor.system(), other.id, person.email, Role.ADMIN)
    browser = Browser(client)
    browser.sign_in(person.email)
    verifier, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    page = browser.consent_page(params)
    assert "Second Org" in page.text
    code = get_code(browser, other.id, params)
    token = exchange(client, app_client["client_id"], code, verifier).json()
    assert jwt.decode(token["access_token"], options={"verify_signature": False})["org_id"] == other.id


@SQLITE_ONLY
def test_an_organisation_the_person_is_not_in_is_refused(
    services: Services, browser: Browser, app_client: dict[str, Any]
) -> None:
    stranger = services.organizations.create(Actor.system(), "Not Mine")
    _, challenge = pkce_pair()
    params = authorize_params(app_client["client_id"], challenge)
    browser.consent_page(params)
    answer = browser.submit(params, org_id=stranger.id)
    assert answer.status_code == 404 and "location" not in answer.headers


# -- the token endpoint ------------------------------------------------------------------------------------


@pytest.fixture
def code_for(browser: Browser, person: Person, app_client: dict[str, Any]) -> tuple[str, str]:
    """``(code, verifier)`` of a fresh consent."""
    verifier, challenge = pkce_pair()
    return get_code(browser, person.org.id, authorize_params(app_client["client_id"], challenge)), verifier


def _error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_a_wrong_verifier_is_invalid_grant_and_spends_the_code(
    client: Any, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    other, _ = pkce_pair()
    _error(exchange(client, app_client["client_id"], code, other), 400, "invalid_grant")
    _error(exchange(client, app_client["client_id"], code, verifier), 400, "invalid_grant")


@SQLITE_ONLY
def test_a_missing_verifier_is_invalid_request_and_keeps_the_code(
    client: Any, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    response = client.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "client_id": app_client["client_id"],
            "code": code,
            "redirect_uri": REDIRECT_URI,
        },
    )
    _error(response, 400, "invalid_request")
    assert exchange(client, app_client["client_id"], code, verifier).status_code == 200


@SQLITE_ONLY
def test_the_challenge_as_verifier_is_refused(
    client: Any, browser: Browser, person: Person, app_client: dict[str, Any]
) -> None:
    """What ``plain`` would accept: the challenge itself as the verifier."""
    _, challenge = pkce_pair()
    code = get_code(browser, person.org.id, authorize_params(app_client["client_id"], challenge))
    _error(exchange(client, app_client["client_id"], code, challenge), 400, "invalid_grant")


@SQLITE_ONLY
@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/",
        "https://app.example/callback2",
        "https://app.example:443/callback",
        LOOPBACK_REDIRECT,
    ],
)
def test_the_redirect_uri_must_equal_the_requests(
    client: Any, app_client: dict[str, Any], code_for: tuple[str, str], redirect_uri: str
) -> None:
    code, verifier = code_for
    _error(
        exchange(client, app_client["client_id"], code, verifier, redirect_uri=redirect_uri),
        400,
        "invalid_grant",
    )


@SQLITE_ONLY
def test_another_clients_code_is_invalid_grant(
    client: Any, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    other = register(client)
    _error(exchange(client, other["client_id"], code, verifier), 400, "invalid_grant")


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_id": ""}, 400, "invalid_request"),
        ({"client_id": "nosuchclientnosuchclient00"}, 401, "invalid_client"),
        ({"code": "tsc_garbage"}, 400, "invalid_grant"),
        ({"code": ""}, 400, "invalid_request"),
        ({"redirect_uri": ""}, 400, "invalid_request"),
    ],
)
def test_malformed_code_requests(
    client: Any,
    app_client: dict[str, Any],
    code_for: tuple[str, str],
    change: dict[str, str],
    status: int,
    error: str,
) -> None:
    code, verifier = code_for
    data = {
        "grant_type": "authorization_code",
        "client_id": app_client["client_id"],
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    } | change
    _error(client.post(TOKEN, data=data), status, error)


@SQLITE_ONLY
def test_a_public_client_sending_a_secret_is_invalid_client(
    client: Any, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    response = exchange(client, app_client["client_id"], code, verifier, client_secret="made-up")
    _error(response, 401, "invalid_client")


@SQLITE_ONLY
def test_an_expired_code_is_invalid_grant(
    client: Any, clock: FrozenClock, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    clock.advance(seconds=61)
    _error(exchange(client, app_client["client_id"], code, verifier), 400, "invalid_grant")


def test_a_replayed_code_revokes_everything_issued_from_it(
    client: Any, services: Services, person: Person, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    first = exchange(client, app_client["client_id"], code, verifier).json()
    rotated = refresh(client, app_client["client_id"], first["refresh_token"]).json()
    assert me(client, first["access_token"]).status_code == 200
    _error(exchange(client, app_client["client_id"], code, verifier), 400, "invalid_grant")
    # Every access token and the current refresh token of the family are dead.
    assert me(client, first["access_token"]).status_code == 401
    assert me(client, rotated["access_token"]).status_code == 401
    _error(refresh(client, app_client["client_id"], rotated["refresh_token"]), 400, "invalid_grant")
    with services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=person.org.id)
    actions = [e.action for e in events]
    assert "authorization_code.replayed" in actions
    revoked = [e for e in events if e.action == "authorized_app.revoked"]
    assert [e.details["reason"] for e in revoked] == ["code_replay"]


def test_racing_exchanges_of_one_code_issue_once(
    services: Services, app_client: dict[str, Any], code_for: tuple[str, str]
) -> None:
    code, verifier = code_for
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            services.authorization_grants.exchange_code(
                app_client["client_id"], code, REDIRECT_URI, verifier, None, None
            )
            outcomes.append("issued")
        except InvalidGrant:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Never twice. Concurrent presentations are replay: a loser that sees the winner's family revokes it,
    # and then the winner's own answer may be refused too (its token is revoked either way).
    assert len(outcomes) == 4 and outcomes.count("issued") <= 1
