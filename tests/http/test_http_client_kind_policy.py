"""The organisation's policy decides whether apps registered by Dynamic Client Registration (RFC 7591)
may be authorized (issue 12 item 4), over the real app on SQLite and PostgreSQL: switched off, the
consent page says so and issues no code, and the apps already authorized can neither exchange a
code nor refresh; switched on again, a new consent works. Client ID Metadata Document clients are in
``test_http_client_metadata_documents.py``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http import authorization_support as flow
from tests.http.authorization_support import Browser, Person
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

REFUSED = "This organisation does not allow apps that registered themselves with this server."


@pytest.fixture
def person(services: Services) -> Person:
    return flow.make_person(services, Role.ADMIN)


def _flag(services: Services, person: Person, name: str, value: bool) -> None:
    services.policies.update(Actor.system(), person.org.id, {name: value})


def test_registered_clients_switched_off_are_refused_everywhere(
    client: Any, services: Services, person: Person
) -> None:
    app = flow.register(client)["client_id"]
    browser = Browser(client)
    browser.sign_in(person.email)
    verifier, challenge = flow.pkce_pair()
    tokens = flow.exchange(
        client, app, flow.get_code(browser, person.org.id, flow.authorize_params(app, challenge)), verifier
    )
    assert tokens.status_code == 200, tokens.text
    pending_verifier, pending_challenge = flow.pkce_pair()
    pending = flow.get_code(browser, person.org.id, flow.authorize_params(app, pending_challenge))

    _flag(services, person, "allow_registered_clients", False)
    cut = flow.refresh(client, app, tokens.json()["refresh_token"])
    assert cut.status_code == 400 and cut.json() == {"error": "invalid_grant", "error_description": REFUSED}
    late = flow.exchange(client, app, pending, pending_verifier)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant", "error_description": REFUSED}

    params = flow.authorize_params(app, flow.pkce_pair()[1])
    page = browser.consent_page(params)
    assert page.status_code == 403 and "location" not in page.headers
    assert 'id="consent-error"' in page.text and REFUSED in page.text
    browser.csrf = flow.csrf_of(page.text)
    answer = browser.submit(params, org_id=person.org.id)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert REFUSED in answer.text

    _flag(services, person, "allow_registered_clients", True)
    spent = flow.refresh(client, app, tokens.json()["refresh_token"])  # the refused refresh spent it
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    verifier, challenge = flow.pkce_pair()
    code = flow.get_code(browser, person.org.id, flow.authorize_params(app, challenge))
    again = flow.exchange(client, app, code, verifier)
    assert again.status_code == 200, again.text
    assert flow.refresh(client, app, again.json()["refresh_token"]).status_code == 200


def test_metadata_document_switch_leaves_registered_clients_alone(
    client: Any, services: Services, person: Person
) -> None:
    """Each flag refuses one kind: switching documents off keeps registered apps working."""
    _flag(services, person, "allow_metadata_document_clients", False)
    app = flow.register(client, [flow.REDIRECT_URI])["client_id"]
    browser = Browser(client)
    browser.sign_in(person.email)
    verifier, challenge = flow.pkce_pair()
    params = flow.authorize_params(app, challenge)
    page = browser.consent_page(params)
    assert page.status_code == 200 and 'id="consent-error"' not in page.text
    answer = browser.submit(params, org_id=person.org.id)
    assert answer.status_code == 303
    tokens = flow.exchange(client, app, flow.query_of(answer.headers["location"])["code"], verifier)
    assert tokens.status_code == 200, tokens.text
