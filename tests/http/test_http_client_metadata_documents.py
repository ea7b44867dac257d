"""Client ID Metadata Documents over the real app: a client whose ID is the URL of its document (served
on loopback, allowed in development) completes the code flow; a document URL on a private address
is shown as an untrusted request and never fetched; production refuses loopback http."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from tests.http.authorization_support import (
    AUTHORIZE,
    LOOPBACK_REDIRECT,
    Browser,
    Person,
    authorize_params,
    csrf_of,
    exchange,
    get_code,
    make_person,
    pkce_pair,
    refresh,
)
from tests.http.document_server import DocumentServer
from tokensmith.core.actors import Actor
from tokensmith.http.app import create_app
from tokensmith.services.container import Services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def document_server() -> Iterator[DocumentServer]:
    with DocumentServer(
        {
            "client_name": "Loopback Document App",
            "redirect_uris": [LOOPBACK_REDIRECT],
            "token_endpoint_auth_method": "none",
        }
    ) as served:
        yield served


@pytest.fixture
def person(services: Services) -> Person:
    return make_person(services)


def test_a_document_client_completes_the_flow(
    client: Any, person: Person, document_server: DocumentServer
) -> None:
    assert client.get("/.well-known/oauth-authorization-server").json()[
        "client_id_metadata_document_supported"
    ]
    browser = Browser(client)
    browser.sign_in(person.email)
    verifier, challenge = pkce_pair()
    redirect = "http://127.0.0.1:50123/callback"
    params = authorize_params(document_server.url, challenge, redirect_uri=redirect)
    page = browser.consent_page(params)
    assert "Loopback Document App" in page.text
    code = get_code(browser, person.org.id, params)
    token = exchange(client, document_server.url, code, verifier, redirect_uri=redirect)
    assert token.status_code == 200, token.text
    assert refresh(client, document_server.url, token.json()["refresh_token"]).status_code == 200
    assert document_server.fetches == 1  # cached


def test_an_organisation_can_refuse_document_clients(
    client: Any, services: Services, person: Person, document_server: DocumentServer
) -> None:
    """Issue 12 item 4: ``allow_metadata_document_clients`` off refuses consent and cuts the apps
    already authorized (invalid_grant); on again, the flow works."""
    refused = "This organisation does not allow apps identified by a client metadata document."
    browser = Browser(client)
    browser.sign_in(person.email)
    redirect = "http://127.0.0.1:50123/callback"
    verifier, challenge = pkce_pair()
    code = get_code(
        browser, person.org.id, authorize_params(document_server.url, challenge, redirect_uri=redirect)
    )
    token = exchange(client, document_server.url, code, verifier, redirect_uri=redirect)
    assert token.status_code == 200, token.text
    flag = "allow_metadata_document_clients"
    services.policies.update(Actor.system(), person.org.id, {flag: False})
    cut = refresh(client, document_server.url, token.json()["refresh_token"])
    assert cut.status_code == 400 and cut.json() == {"error": "invalid_grant", "error_description": refused}
    params = authorize_params(document_server.url, challenge, redirect_uri=redirect)
    page = browser.consent_page(params)
    assert page.status_code == 403 and refused in page.text and "location" not in page.headers
    browser.csrf = csrf_of(page.text)
    answer = browser.submit(params, org_id=person.org.id)
    assert answer.status_code == 400 and refused in answer.text and "location" not in answer.headers
    services.policies.update(Actor.system(), person.org.id, {flag: True})
    code = get_code(browser, person.org.id, params)
    assert exchange(client, document_server.url, code, verifier, redirect_uri=redirect).status_code == 200


@pytest.mark.parametrize(
    "client_id",
    [
        "https://10.0.0.1/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.0.1/client.json",
        "https://[fd00::1]/client.json",
    ],
)
def test_a_document_on_a_private_address_is_refused(client: Any, person: Person, client_id: str) -> None:
    """Private, link-local and unique-local addresses are never fetched (loopback only in development)."""
    browser = Browser(client)
    browser.sign_in(person.email)
    _, challenge = pkce_pair()
    page = browser.consent_page(authorize_params(client_id, challenge, redirect_uri=LOOPBACK_REDIRECT))
    assert page.status_code == 400 and "location" not in page.headers
    assert "not a public address" in page.text


def test_production_refuses_loopback_http_documents(
    settings_factory: Any, services_factory: Any, document_server: DocumentServer
) -> None:
    settings = settings_factory(env="production")
    services = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=services), base_url="http://testserver") as http:
        _, challenge = pkce_pair()
        params = authorize_params(document_server.url, challenge, redirect_uri=LOOPBACK_REDIRECT)
        page = http.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
    assert page.status_code == 400 and "location" not in page.headers
    assert document_server.fetches == 0
