"""The Webhooks pages over the real app: owners and admins only (and only they see the link), the
signing secret on a GET page once after the create's redirect, refusals next to their field, an
endpoint's deliveries with a Replay button, turning an endpoint off and on, and a confirmed delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.dashboard.conftest import Team
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.services.container import Services
from tokensmith.services.reveals import new_form_nonce

SYSTEM = Actor.system()
URL = "https://hooks.example.com/tokensmith"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")
REVEAL_URL = re.compile(r"^/org/webhooks/([^/]+)/secret/[A-Za-z0-9_-]+$")
NAV_LINK = '<a href="/org/webhooks"'


def _post(client: Any, url: str, csrf: str, **form: Any) -> Any:
    return client.post(
        url, data={"csrf_token": csrf, "form_nonce": new_form_nonce(), **form}, follow_redirects=False
    )


def _register(client: Any, csrf: str, nonce: str, **form: Any) -> Any:
    data = {"csrf_token": csrf, "form_nonce": nonce, "url": URL, "events": ["credential.created"], **form}
    return client.post("/org/webhooks", data=data, follow_redirects=False)


def _registered(client: Any, csrf: str) -> str:
    """Register an endpoint through the form; its id (from the redirect to its secret's page)."""
    found = REVEAL_URL.match(_register(client, csrf, new_form_nonce()).headers["location"])
    assert found is not None
    return found.group(1)


def _endpoints(services: Services, team: Team) -> list[Any]:
    return services.webhooks.list(SYSTEM, team.org.id)


def test_only_owners_and_admins_see_and_open_the_page(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    sign_in(team.member_email)
    assert NAV_LINK not in client.get("/credentials").text
    refused = client.get("/org/webhooks")
    assert refused.status_code == 403
    assert "only organisation owners and admins can manage webhooks" in refused.text.lower()

    sign_in(team.owner_email)
    assert NAV_LINK in client.get("/credentials").text
    listed = client.get("/org/webhooks")
    assert listed.status_code == 200
    assert 'aria-current="page">Webhooks</a>' in listed.text
    assert "No webhook endpoints yet" in listed.text
    for name in ("credential.created", "token.revoked", "member.role_changed"):
        assert f'name="events" value="{name}"' in listed.text


def test_register_shows_the_signing_secret_once(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    nonce = new_form_nonce()
    created = _register(
        client, csrf, nonce, description="ops", events=["token.revoked", "credential.created"]
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    found = REVEAL_URL.match(url)
    assert found, url
    (endpoint,) = _endpoints(services, team)
    assert endpoint.id == found.group(1) and endpoint.events == ["credential.created", "token.revoked"]

    shown = client.get(url)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    secret = SECRET.search(shown.text)
    assert secret is not None and URL in shown.text

    again = client.get(url)
    assert again.status_code == 410
    assert "This signing secret was already shown" in again.text and not SECRET.search(again.text)
    # The same form again (reload, double click) registers nothing new and lands on the same page.
    repeated = _register(client, csrf, nonce)
    assert repeated.status_code == 303 and repeated.headers["location"] == url
    assert len(_endpoints(services, team)) == 1

    listed = client.get("/org/webhooks")
    assert URL in listed.text and "Enabled" in listed.text and secret.group(0) not in listed.text
    assert secret.group(0) not in client.get(f"/org/webhooks/{endpoint.id}").text


def test_refusals_are_shown_next_to_their_field(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    private = _register(client, csrf, new_form_nonce(), url="http://127.0.0.1:8000/hook", description="mine")
    assert private.status_code == 400
    assert 'id="url-error"' in private.text and 'aria-invalid="true"' in private.text
    assert 'value="http://127.0.0.1:8000/hook"' in private.text and 'value="mine"' in private.text
    assert 'value="credential.created" checked' in private.text

    no_events = client.post(
        "/org/webhooks",
        data={"csrf_token": csrf, "form_nonce": new_form_nonce(), "url": URL},
        follow_redirects=False,
    )
    assert no_events.status_code == 400 and 'id="events-error"' in no_events.text
    unknown = _register(client, csrf, new_form_nonce(), events=["credential.exploded"])
    assert unknown.status_code == 400 and 'id="events-error"' in unknown.text
    assert "credential.exploded" in unknown.text
    for url in (
        "https://hooks.example.com/" + "a" * 3000,
        "file:///etc/passwd",
        "https://hooks.example.com/\x00",
    ):
        hostile = _register(client, csrf, new_form_nonce(), url=url)
        assert hostile.status_code == 400 and 'id="url-error"' in hostile.text, url
    long_description = _register(client, csrf, new_form_nonce(), description="d" * 2001)
    assert long_description.status_code == 400 and 'id="description-error"' in long_description.text
    assert _endpoints(services, team) == []


def test_deliveries_are_listed_and_replayed(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    endpoint_id = _registered(client, csrf)
    assert "No deliveries yet" in client.get(f"/org/webhooks/{endpoint_id}").text
    services.credentials.create(SYSTEM, org_id=team.org.id, name="billing", kind=CredentialKind.ORGANIZATION)

    detail = client.get(f"/org/webhooks/{endpoint_id}")
    assert detail.status_code == 200
    (delivery,) = services.webhooks.deliveries(SYSTEM, team.org.id, endpoint_id)
    assert f'id="delivery-{delivery.id}"' in detail.text and "Pending" in detail.text
    replay_url = f"/org/webhooks/{endpoint_id}/deliveries/{delivery.id}/replay"
    assert f'action="{replay_url}"' in detail.text

    replayed = _post(client, replay_url, csrf)
    assert replayed.status_code == 303
    assert replayed.headers["location"] == f"/org/webhooks/{endpoint_id}?done=webhook-replayed"
    assert "Delivery queued again" in client.get(replayed.headers["location"]).text
    actions = [e.action for e in services.audit_query.list(SYSTEM, org_id=team.org.id).items]
    assert "webhook.replayed" in actions

    missing = _post(client, f"/org/webhooks/{endpoint_id}/deliveries/msg_nope/replay", csrf)
    assert missing.status_code == 404


def test_an_endpoint_is_disabled_enabled_and_deleted_with_confirmation(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    endpoint_id = _registered(client, csrf)
    base = f"/org/webhooks/{endpoint_id}"

    off = _post(client, base + "/enabled", csrf, enabled="no")
    assert (off.status_code, off.headers["location"]) == (303, base + "?done=webhook-disabled")
    page = client.get(off.headers["location"]).text
    assert "Disabled" in page and "by an admin" in page and "Enable endpoint again" in page
    on = _post(client, base + "/enabled", csrf, enabled="yes")
    assert on.headers["location"] == base + "?done=webhook-enabled"
    assert _endpoints(services, team)[0].enabled is True

    unconfirmed = _post(client, base + "/delete", csrf)
    assert unconfirmed.status_code == 400 and len(_endpoints(services, team)) == 1
    deleted = _post(client, base + "/delete", csrf, confirm="yes")
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/org/webhooks?done=webhook-deleted")
    assert _endpoints(services, team) == []
    assert client.get(base).status_code == 404


def test_unknown_and_foreign_endpoints_are_not_found(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    other = services.organizations.create(SYSTEM, "Elsewhere")
    foreign = services.webhooks.create(SYSTEM, other.id, url=URL, events=["token.revoked"]).endpoint
    csrf = sign_in(team.owner_email)
    for path in (f"/org/webhooks/{foreign.id}", "/org/webhooks/" + "x" * 300, "/org/webhooks/nope"):
        assert client.get(path).status_code == 404, path
    assert _post(client, f"/org/webhooks/{foreign.id}/delete", csrf, confirm="yes").status_code == 404
    assert _post(client, f"/org/webhooks/{foreign.id}/enabled", csrf, enabled="no").status_code == 404
    assert services.webhooks.get(SYSTEM, other.id, foreign.id).enabled is True
