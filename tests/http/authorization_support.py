"""Helpers for the authorization code tests: a person who signs in and consents through the real
pages, a registered public client, PKCE pairs, and reading the redirect back to the client."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "https://app.example/callback"
LOOPBACK_REDIRECT = "http://127.0.0.1/callback"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
AUTHORIZE = "/oauth2/authorize"
REGISTER = "/oauth2/register"
TOKEN = "/oauth2/token"
SCOPE = "tokens:read credentials:read"


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Person:
    org: Organization
    email: str
    user_id: str


def make_person(services: Services, role: Role = Role.MEMBER, org: Organization | None = None) -> Person:
    system = Actor.system()
    org = org or services.organizations.create(system, f"org-{secrets.token_hex(4)}")
    email = f"{secrets.token_hex(4)}@people.test"
    user = services.organizations.create_user(system, email, org_id=org.id, role=role, password=PASSWORD)
    return Person(org, email, user.id)


@dataclass
class Browser:
    """The person's browser: a TestClient (or httpx client) with the session cookie."""

    http: Any
    csrf: str = ""
    last_consent: str = field(default="", repr=False)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        form = self.http.get("/sign-in")
        response = self.http.post(
            "/sign-in",
            data={"email": email, "password": password, "csrf_token": csrf_of(form.text), "next": "/tokens"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def consent_page(self, params: dict[str, str]) -> Any:
        page = self.http.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
        if page.status_code == 200:
            self.csrf = csrf_of(page.text)
            self.last_consent = page.text
        return page

    def submit(
        self,
        params: dict[str, str],
        *,
        decision: str = "allow",
        scopes: list[str] | None = None,
        org_id: str | None = None,
        csrf: str | None = None,
    ) -> Any:
        data: list[tuple[str, str]] = [(k, v) for k, v in params.items()]
        data += [("csrf_token", self.csrf if csrf is None else csrf), ("decision", decision)]
        if org_id is not None:
            data.append(("org_id", org_id))
        for scope in scopes if scopes is not None else params.get("scope", "").split():
            data.append(("scopes", scope))
        return self.http.post(
            AUTHORIZE,
            content=urlencode(data),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )


def register(http: Any, redirect_uris: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"client_name": "Test App", "redirect_uris": redirect_uris or [REDIRECT_URI], **extra}
    response = http.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def authorize_params(
    client_id: str, challenge: str, redirect_uri: str = REDIRECT_URI, **extra: str
) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": SCOPE,
        **extra,
    }


def get_code(browser: Browser, org_id: str, params: dict[str, str], scopes: list[str] | None = None) -> str:
    page = browser.consent_page(params)
    assert page.status_code == 200, page.text
    answer = browser.submit(params, org_id=org_id, scopes=scopes)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    query = query_of(location)
    assert query["state"] == params["state"]
    return query["code"]


def exchange(
    http: Any,
    client_id: str,
    code: str,
    verifier: str,
    redirect_uri: str = REDIRECT_URI,
    *,
    headers: dict[str, str] | None = None,
    **extra: str,
) -> Any:
    return http.post(
        TOKEN,
        headers=headers,
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            **extra,
        },
    )


def refresh(
    http: Any, client_id: str, refresh_token: str, *, headers: dict[str, str] | None = None, **extra: str
) -> Any:
    return http.post(
        TOKEN,
        headers=headers,
        data={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token, **extra},
    )
