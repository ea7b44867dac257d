"""The SDK's webhook methods against a live server (``/api/orgs/{org}/webhooks…``): what they send is
what the server reads, what it answers they parse, and its problems become the SDK's errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from tests.conftest import LiveServer, LogLeakGuard
from tokensmith.client import (
    BadRequestError,
    CreatedWebhookEndpoint,
    ManagementClient,
    NotFoundError,
    PermissionDeniedError,
    PersonalTokenAuth,
    WebhookDelivery,
)
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.core.roles import Role
from tokensmith.core.webhook_events import EVENT_TYPES


@pytest.fixture
def clock() -> FrozenClock:
    """The server's clock (this folder's ``clock`` is the SDK's fake one)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

URL = "https://hooks.example.com/tokensmith"


MakeSdk = Callable[[Organization, Role, list[str]], ManagementClient]


@pytest.fixture
def sdk_for(live_server: LiveServer, log_guard: LogLeakGuard) -> Iterator[MakeSdk]:
    """``sdk_for(org, role, scopes)``: the SDK on the live server, as a new ``role`` member of ``org``
    holding ``scopes`` (closed at teardown)."""
    services = live_server.services
    made: list[ManagementClient] = []

    def make(org: Organization, role: Role, scopes: list[str]) -> ManagementClient:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.test"
        user = services.organizations.create_user(Actor.system(), email, org_id=org.id, role=role)
        token = services.personal_tokens.create(
            Actor.system(), name="sdk", scopes=scopes, org_id=org.id, user_id=user.id
        ).plain
        log_guard.remember(token)
        made.append(ManagementClient(live_server.url, PersonalTokenAuth(token)))
        return made[-1]

    yield make
    for api in made:
        api.close()


@pytest.fixture
def admin_sdk(
    sdk_for: MakeSdk, make_org: Callable[..., Organization]
) -> tuple[ManagementClient, Organization]:
    org = make_org()
    return sdk_for(org, Role.ADMIN, ["webhooks:read", "webhooks:write"]), org


@SQLITE
def test_register_read_change_and_delete_an_endpoint(
    admin_sdk: tuple[ManagementClient, Organization],
) -> None:
    api, org = admin_sdk
    types = api.list_webhook_event_types(org.id)
    assert {t.type for t in types} == set(EVENT_TYPES)
    assert all(t.description == EVENT_TYPES[t.type] for t in types)

    created = api.create_webhook(org.id, URL, ["token.revoked", "credential.created"], description="ops")
    assert isinstance(created, CreatedWebhookEndpoint) and created.secret.startswith("whsec_")
    assert created.secret not in repr(created)
    assert created.events == ("credential.created", "token.revoked") and created.description == "ops"
    assert (created.enabled, created.failure_count, created.disabled_reason) == (True, 0, None)

    (listed,) = api.list_webhooks(org.id)
    assert listed.id == created.id and not hasattr(listed, "secret")
    assert api.get_webhook(org.id, created.id) == listed

    off = api.update_webhook(org.id, created.id, enabled=False, events=["member.role_changed"])
    assert (off.enabled, off.disabled_reason, off.events) == (False, "by_admin", ("member.role_changed",))
    on = api.update_webhook(org.id, created.id, enabled=True, url=URL + "/v2")
    assert (on.enabled, on.disabled_reason, on.url) == (True, None, URL + "/v2")

    assert api.delete_webhook(org.id, created.id) is None
    assert api.list_webhooks(org.id) == ()
    with pytest.raises(NotFoundError) as gone:
        api.get_webhook(org.id, created.id)
    assert gone.value.code == "not_found"


@SQLITE
def test_deliveries_are_listed_and_replayed(
    live_server: LiveServer, admin_sdk: tuple[ManagementClient, Organization]
) -> None:
    api, org = admin_sdk
    endpoint = api.create_webhook(org.id, URL, ["credential.created"])
    live_server.services.credentials.create(
        Actor.system(), org_id=org.id, name="billing", kind=CredentialKind.ORGANIZATION
    )

    (delivery,) = api.list_webhook_deliveries(org.id, endpoint.id, limit=10)
    assert isinstance(delivery, WebhookDelivery)
    assert (delivery.endpoint_id, delivery.event_type, delivery.status) == (
        endpoint.id,
        "credential.created",
        "pending",
    )
    assert delivery.payload["type"] == "credential.created" and delivery.id.startswith("msg_")
    assert delivery.attempts == 0 and delivery.last_status_code is None

    again = api.replay_webhook_delivery(org.id, endpoint.id, delivery.id)
    assert again.id == delivery.id and again.status == "pending"
    with pytest.raises(NotFoundError) as missing:
        api.replay_webhook_delivery(org.id, endpoint.id, "msg_nope")
    assert missing.value.code == "not_found"


@SQLITE
def test_the_servers_refusals_are_the_sdks_errors(
    sdk_for: MakeSdk, admin_sdk: tuple[ManagementClient, Organization], make_org: Callable[..., Organization]
) -> None:
    api, org = admin_sdk
    with pytest.raises(BadRequestError) as private:
        api.create_webhook(org.id, "http://127.0.0.1:8000/hook", ["credential.created"])
    assert (private.value.status, private.value.code) == (400, "url_not_allowed")
    with pytest.raises(BadRequestError) as unknown:
        api.create_webhook(org.id, URL, ["credential.exploded"])
    assert (unknown.value.status, unknown.value.code) == (400, "validation_failed")

    member = sdk_for(org, Role.MEMBER, ["webhooks:read", "webhooks:write"])
    with pytest.raises(PermissionDeniedError) as refused:
        member.list_webhooks(org.id)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    unscoped = sdk_for(org, Role.ADMIN, ["credentials:read"])
    with pytest.raises(PermissionDeniedError) as scope:
        unscoped.list_webhooks(org.id)
    assert (scope.value.status, scope.value.code) == (403, "insufficient_scope")
    with pytest.raises(NotFoundError) as foreign:
        api.list_webhooks(make_org().id)
    assert (foreign.value.status, foreign.value.code) == (404, "not_found")


def test_arguments_off_contract_are_refused_before_sending() -> None:
    from tokensmith.client import webhook_operations as hooks

    with pytest.raises(TypeError):
        hooks.create_webhook("org_1", URL, "credential.created")
    with pytest.raises(ValueError, match="give something to change"):
        hooks.update_webhook("org_1", "wh_1")
    with pytest.raises(ValueError, match="limit must be between 1 and 200"):
        hooks.list_webhook_deliveries("org_1", "wh_1", limit=0)
    with pytest.raises(ValueError, match="an id is required"):
        hooks.get_webhook("org_1", "")
    call = hooks.replay_webhook_delivery("org 1", "wh/1", "msg_1")
    assert call.path == "/api/orgs/org%201/webhooks/wh%2F1/deliveries/msg_1/replay"


@SQLITE
def test_credentials_are_created_and_updated_with_token_reuse(
    sdk_for: MakeSdk, make_org: Callable[..., Organization], log_guard: LogLeakGuard
) -> None:
    api = sdk_for(make_org(), Role.ADMIN, ["credentials:read", "credentials:write", "api/access"])
    created = api.create_credential("cache", "organization", reuse_tokens=True)
    assert created.client_secret is not None
    log_guard.remember(created.client_secret)
    assert created.reuse_tokens is True and created.require_dpop is False
    changed = api.update_credential(created.id, reuse_tokens=False, require_dpop=True)
    assert (changed.reuse_tokens, changed.require_dpop, changed.name) == (False, True, "cache")
    assert api.get_credential(created.id).reuse_tokens is False


def test_the_async_client_has_the_same_webhook_methods() -> None:
    import asyncio
    import json

    import httpx

    from tokensmith.client import AsyncManagementClient

    sent: list[httpx.Request] = []
    endpoint = {
        "id": "wh_1",
        "org_id": "org_1",
        "url": URL,
        "description": "",
        "events": ["token.revoked"],
        "enabled": True,
        "failure_count": 0,
        "disabled_reason": None,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201, json={**endpoint, "secret": "whsec_c2VjcmV0"})

    async def run() -> CreatedWebhookEndpoint:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncManagementClient(
            "https://ts.example", PersonalTokenAuth("tsp_x"), http_client=http
        ) as api:
            created = await api.create_webhook("org_1", URL, ["token.revoked"])
        await http.aclose()
        return created

    created = asyncio.run(run())
    assert created.secret == "whsec_c2VjcmV0" and created.events == ("token.revoked",)
    assert (sent[0].method, sent[0].url.path) == ("POST", "/api/orgs/org_1/webhooks")
    assert json.loads(sent[0].content) == {"url": URL, "events": ["token.revoked"]}
