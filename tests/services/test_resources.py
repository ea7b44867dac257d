"""ResourceService: the built-in resources follow the settings, the registry resolves what token
requests name, and every change is audited; the operator's power is not a dashboard session's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import BadRequest, Conflict, Forbidden, InvalidTarget, NotFound
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings
from tokensmith.storage.repositories.audit import AuditRepository

BILLING = "https://billing.example.test/v1"


def test_the_built_in_resources_follow_the_issuer_and_audience(
    settings_factory: Callable[..., Settings], services_factory: Callable[..., Services]
) -> None:
    settings = settings_factory(issuer="https://auth.example.test/", audience="https://api.example.test")
    services = services_factory(settings)
    builtins = {r.id: r for r in services.resources.builtins}
    assert builtins["management"].uri == "https://auth.example.test/api"
    assert builtins["mcp"].uri == "https://auth.example.test/mcp"
    assert builtins["platform"].uri == "https://api.example.test" == services.minter.audience
    assert (
        "resources:write" in builtins["management"].scopes
        and "api/access" not in builtins["management"].scopes
    )
    assert builtins["platform"].scopes >= {"api/access", "project:read", "members:read"}
    assert not builtins["platform"].scopes & {"credentials:read", "tokens:introspect", "resources:write"}
    audiences = services.resources.accepted_audiences()
    assert audiences[Transport.MCP] == {"https://auth.example.test/mcp"}
    assert audiences[Transport.API] == {"https://auth.example.test/api", "https://api.example.test"}


def test_resolve(services: Services) -> None:
    assert services.resources.resolve([None]) is None
    mcp = services.resources.builtin("mcp")
    assert services.resources.resolve([mcp.uri.upper().replace("/MCP", "/mcp")]) == mcp
    created = services.resources.create(Actor.system(), name="Billing", uri=BILLING, scopes=["api/access"])
    assert services.resources.resolve([BILLING, BILLING]) == created
    with pytest.raises(InvalidTarget):
        services.resources.resolve(["https://unknown.example.test"])
    with pytest.raises(InvalidTarget):
        services.resources.resolve([BILLING, mcp.uri])


def test_create_and_delete_are_audited(services: Services) -> None:
    created = services.resources.create(
        Actor.system(), name=" Billing ", uri="HTTPS://Billing.Example.Test/v1"
    )
    assert created.name == "Billing" and created.uri == BILLING and created.scopes == frozenset()
    assert services.resources.get(Actor.system(), created.id) == created
    services.resources.delete(Actor.system(), created.id)
    with pytest.raises(NotFound):
        services.resources.get(Actor.system(), created.id)
    with services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=None, action_prefix="resource.")
    assert {(e.action, e.target_id, e.details["uri"]) for e in events} == {
        ("resource.created", created.id, BILLING),
        ("resource.deleted", created.id, BILLING),
    }


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"uri": BILLING + "#x"}, BadRequest),
        ({"uri": "relative/path"}, BadRequest),
        ({"scopes": ["no-such-scope"]}, BadRequest),
        ({"name": "\x1b[31m"}, BadRequest),
        ({"uri": "http://testserver/mcp"}, Conflict),  # a built-in resource's URI
    ],
)
def test_refused_resources(services: Services, changes: dict[str, Any], error: type[Exception]) -> None:
    values: dict[str, Any] = {"name": "Billing", "uri": BILLING, "scopes": []} | changes
    with pytest.raises(error):
        services.resources.create(Actor.system(), **values)


def test_built_in_resources_cannot_be_deleted(services: Services) -> None:
    for resource in services.resources.builtins:
        with pytest.raises(Conflict) as refused:
            services.resources.delete(Actor.system(), resource.id)
        assert refused.value.code == "resource_builtin"


def test_only_the_operator_or_an_operator_granted_token_changes_the_registry(services: Services) -> None:
    session = Actor(method=AuthMethod.SESSION, transport=Transport.DASHBOARD, user_id="u", role=Role.OWNER)
    owner_token = Actor(
        method=AuthMethod.PERSONAL_TOKEN,
        transport=Transport.API,
        user_id="u",
        role=Role.OWNER,
        scopes=frozenset({"credentials:write"}),
    )
    granted = Actor(
        method=AuthMethod.PERSONAL_TOKEN,
        transport=Transport.API,
        user_id="u",
        role=Role.MEMBER,
        scopes=frozenset({"resources:write"}),
    )
    for actor in (session, owner_token):
        with pytest.raises(Forbidden):
            services.resources.create(actor, name="Billing", uri=BILLING)
    created = services.resources.create(granted, name="Billing", uri=BILLING)
    with pytest.raises(Forbidden):
        services.resources.delete(session, created.id)
    services.resources.delete(granted, created.id)
