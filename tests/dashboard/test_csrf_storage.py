"""CSRF tokens are stored hashed: a leaked sessions table
yields no token a form would accept, and the page's token still works."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from tests.dashboard.conftest import Team
from tokensmith.services.container import Services
from tokensmith.storage.tables import dashboard_sessions


def _stored_csrf(services: Services) -> list[str]:
    with services.database.transaction() as connection:
        return [row.csrf_token for row in connection.execute(dashboard_sessions.select())]


def test_the_database_holds_only_the_csrf_tokens_hash(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    csrf = sign_in(team.owner_email)
    stored = _stored_csrf(services)
    assert len(stored) == 1
    assert csrf not in stored[0]
    assert stored[0] == hashlib.sha256(csrf.encode()).hexdigest()


def test_the_stored_value_is_refused_and_the_pages_token_accepted(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    csrf = sign_in(team.owner_email)
    (leaked,) = _stored_csrf(services)
    form = {"name": "x", "kind": "personal", "scopes": "api/access"}
    refused = client.post("/credentials", data={**form, "csrf_token": leaked}, follow_redirects=False)
    assert refused.status_code == 403 and "This form has expired" in refused.text
    api = client.post(
        "/api/credentials", json={"name": "y", "kind": "personal"}, headers={"X-CSRF-Token": leaked}
    )
    assert api.status_code == 403 and api.json()["code"] == "csrf_failed"
    accepted = client.post("/credentials", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert accepted.status_code in (200, 303), accepted.text
    created = client.post(
        "/api/credentials", json={"name": "z", "kind": "personal"}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201, created.text
