"""The dashboard's "Require DPoP" checkbox (RFC 9449 §5): the credential it creates requires proofs,
its page says so, and it offers no bearer "Generate Token"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.dashboard.conftest import Team
from tokensmith.core.actors import Actor
from tokensmith.services.container import Services


def _created(services: Services, team: Team, name: str) -> Any:
    page = services.credentials.list(Actor.system(), org_id=team.org.id)
    (found,) = [c for c in page.items if c.name == name]
    return found


def test_the_checkbox_makes_a_credential_that_requires_dpop(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    csrf = sign_in(team.owner_email)
    new = client.get("/credentials/new")
    assert 'name="require_dpop" value="1"' in new.text and "Require DPoP" in new.text
    for name, ticked in (("bound", True), ("plain", False)):
        form = {"name": name, "kind": "personal", "scopes": "api/access", "csrf_token": csrf}
        form |= {"form_nonce": uuid.uuid4().hex}
        if ticked:
            form["require_dpop"] = "1"
        response = client.post("/credentials", data=form, follow_redirects=True)
        assert response.status_code == 200, response.text
    bound, plain = _created(services, team, "bound"), _created(services, team, "plain")
    assert bound.require_dpop and not plain.require_dpop
    detail = client.get(f"/credentials/{bound.id}")
    assert "DPoP required" in detail.text
    assert f'action="/credentials/{bound.id}/token"' not in detail.text
    plain_detail = client.get(f"/credentials/{plain.id}")
    assert f'action="/credentials/{plain.id}/token"' in plain_detail.text
    forced = client.post(
        f"/credentials/{bound.id}/token", data={"csrf_token": csrf, "form_nonce": uuid.uuid4().hex}
    )
    assert forced.status_code == 403 and "DPoP" in forced.text
