"""The SDK's models are the server's description of each record: same fields, same order, same types
and the same nullability as the JSON schema of the :mod:`tokensmith.wire` model the server sends.

The SDK cannot import the server (nor pydantic), so its frozen dataclasses restate the fields; this is
what keeps the two from drifting apart."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from pydantic import BaseModel

from tokensmith import client
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.records import Organization, OrgPolicy
from tokensmith.core.roles import Role
from tokensmith.wire.authorized_apps import AuthorizedAppOut
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut
from tokensmith.wire.me import ClientMeOut, CredentialRef, MeOut
from tokensmith.wire.orgs import OrgRef, UserRef
from tokensmith.wire.resources import ResourceOut
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut
from tokensmith.wire.webhooks import (
    CreatedWebhookEndpointOut,
    WebhookDeliveryOut,
    WebhookEndpointOut,
    WebhookEventTypeOut,
)

#: Each SDK model and the wire model it reads.
PAIRS: list[tuple[type[Any], type[BaseModel]]] = [
    (client.PersonalToken, PersonalTokenOut),
    (client.CreatedPersonalToken, CreatedPersonalTokenOut),
    (client.Credential, CredentialOut),
    (client.CreatedCredential, CreatedCredentialOut),
    (client.User, UserRef),
    (client.Organization, OrgRef),
    (client.Me, MeOut),
    (client.CredentialRef, CredentialRef),
    (client.ClientMe, ClientMeOut),
    (client.Resource, ResourceOut),
    (client.WebhookEndpoint, WebhookEndpointOut),
    (client.CreatedWebhookEndpoint, CreatedWebhookEndpointOut),
    (client.WebhookDelivery, WebhookDeliveryOut),
    (client.WebhookEventType, WebhookEventTypeOut),
    (client.AuthorizedApp, AuthorizedAppOut),
]
SDK_NAME = {wire.__name__: sdk.__name__ for sdk, wire in PAIRS}

Shape = list[tuple[str, str, bool]]


def _sdk_kind(annotation: Any) -> tuple[str, bool]:
    args = get_args(annotation)
    if get_origin(annotation) in (Union, types.UnionType) and type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _sdk_kind(inner)[0], True
    if get_origin(annotation) is tuple and args == (str, ...):
        return "array of string", False
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation.__name__, False
    if get_origin(annotation) is Mapping and args == (str, Any):
        return "object", False
    return {str: "string", int: "integer", bool: "boolean", datetime: "date-time"}[annotation], False


def sdk_shape(model: type[Any]) -> Shape:
    hints = get_type_hints(model)
    return [(f.name, *_sdk_kind(hints[f.name])) for f in dataclasses.fields(model)]


def _wire_kind(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[str, bool]:
    if "anyOf" in schema:
        kinds = [s for s in schema["anyOf"] if s.get("type") != "null"]
        assert len(kinds) == 1 and len(schema["anyOf"]) == 2, schema
        return _wire_kind(kinds[0], defs)[0], True
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return (SDK_NAME[name], False) if name in SDK_NAME else _wire_kind(defs[name], defs)
    if schema.get("type") == "array":
        return f"array of {_wire_kind(schema['items'], defs)[0]}", False
    if schema.get("format") == "date-time":
        return "date-time", False
    if schema.get("type") == "object" and schema.get("additionalProperties", True) is True:
        return "object", False  # any JSON object (a webhook payload)
    assert schema.get("type") in ("string", "integer", "boolean"), schema  # enums are strings to the SDK
    return schema["type"], False


def wire_shape(model: type[BaseModel]) -> Shape:
    schema = model.model_json_schema(mode="serialization")
    properties: dict[str, Any] = schema["properties"]
    assert set(schema["required"]) == set(properties), "every field is always sent, null or not"
    return [(name, *_wire_kind(prop, schema.get("$defs", {}))) for name, prop in properties.items()]


@pytest.mark.parametrize(("sdk", "wire"), PAIRS, ids=[sdk.__name__ for sdk, _ in PAIRS])
def test_the_sdk_model_has_the_wire_models_fields_types_and_nullability(
    sdk: type[Any], wire: type[BaseModel]
) -> None:
    assert sdk_shape(sdk) == wire_shape(wire)


def test_the_comparison_sees_a_difference_in_nullability() -> None:
    @dataclasses.dataclass(frozen=True)
    class Drifted:
        id: str
        name: str | None

    assert sdk_shape(Drifted) != wire_shape(OrgRef)


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_what_the_server_sends_the_sdk_reads_and_the_mcp_remote_backend_maps_back() -> None:
    sent = CreatedCredentialOut(
        id="cred_1",
        client_id="a" * 26,
        kind="personal",
        name="ci",
        description="",
        org_id="org_1",
        user_id="usr_1",
        scopes=["b", "a"],
        token_format="opaque",
        token_ttl=600,
        secret_hint="tss_…wxyz",
        created_at=NOW,
        updated_at=NOW,
        last_used_at=None,
        previous_secret_expires_at=NOW,
        auth_method="client_secret",
        key_thumbprints=[],
        jwks_uri=None,
        reuse_tokens=True,
        require_dpop=True,
        client_secret="tss_secret",
    ).model_dump(mode="json")
    read = client.CreatedCredential.from_json(sent)
    assert read.scopes == ("a", "b") and read.previous_secret_expires_at == NOW
    assert read.reuse_tokens is True and read.require_dpop
    assert CreatedCredentialOut.of(read).model_dump(mode="json") == sent


def test_a_key_based_credential_round_trips_with_its_thumbprints_and_no_secret() -> None:
    sent = CreatedCredentialOut(
        id="cred_2",
        client_id="b" * 26,
        kind="organization",
        name="signer",
        description="",
        org_id="org_1",
        user_id=None,
        scopes=["a"],
        token_format="jwt",
        token_ttl=600,
        secret_hint="",
        created_at=NOW,
        updated_at=NOW,
        last_used_at=None,
        previous_secret_expires_at=None,
        auth_method="private_key_jwt",
        key_thumbprints=["NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"],
        jwks_uri=None,
        reuse_tokens=False,
        require_dpop=False,
        client_secret=None,
    ).model_dump(mode="json")
    read = client.CreatedCredential.from_json(sent)
    assert read.client_secret is None and read.auth_method == "private_key_jwt"
    assert read.key_thumbprints == ("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",)
    assert CreatedCredentialOut.of(read).model_dump(mode="json") == sent


def test_me_round_trips_with_its_nested_user_and_organisation() -> None:
    actor = Actor(
        method=AuthMethod.PERSONAL_TOKEN,
        transport=Transport.API,
        user_id="usr_1",
        email="dev@example.test",
        org_id="org_1",
        role=Role.ADMIN,
        scopes=frozenset({"tokens:read", "api/access"}),
    )
    sent = MeOut.of(actor, Organization(id="org_1", name="acme", created_at=NOW, policy=OrgPolicy()))
    read = client.Me.from_json(sent.model_dump(mode="json"))
    assert read == client.Me(
        user=client.User(id="usr_1", email="dev@example.test"),
        org=client.Organization(id="org_1", name="acme"),
        role="admin",
        scopes=("api/access", "tokens:read"),
        auth="personal_token",
        subject_type="user",
    )


def test_a_clients_me_round_trips_and_is_told_apart_from_a_users() -> None:
    sent = ClientMeOut(
        credential=CredentialRef(id="crd_1", client_id="abc", name="ci", kind="personal"),
        org=OrgRef(id="org_1", name="acme"),
        owner=UserRef(id="usr_1", email="dev@example.test"),
        scopes=["api/access"],
        auth="access_token",
        subject_type="client",
    ).model_dump(mode="json")
    read = client.ClientMe.from_json(sent)
    assert read == client.ClientMe(
        credential=client.CredentialRef(id="crd_1", client_id="abc", name="ci", kind="personal"),
        org=client.Organization(id="org_1", name="acme"),
        owner=client.User(id="usr_1", email="dev@example.test"),
        scopes=("api/access",),
        auth="access_token",
        subject_type="client",
    )
    from tokensmith.client.models import me_from_json

    assert me_from_json(sent) == read
    assert me_from_json({**sent, "owner": None}) == dataclasses.replace(read, owner=None)


def test_a_resource_round_trips_built_in_or_not() -> None:
    from tokensmith.core.resources import Resource

    for record in (
        Resource(
            id="mcp", name="MCP", uri="https://ts.example/mcp", scopes=frozenset({"b", "a"}), builtin=True
        ),
        Resource(id="r1", name="Billing", uri="https://billing.example", scopes=frozenset(), created_at=NOW),
    ):
        sent = ResourceOut.of(record).model_dump(mode="json")
        read = client.Resource.from_json(sent)
        assert (
            read.uri == record.uri and read.builtin is record.builtin and read.created_at == record.created_at
        )
        assert read.scopes == tuple(sorted(record.scopes))
        assert ResourceOut.of(read).model_dump(mode="json") == sent


def test_a_webhook_endpoint_and_its_delivery_round_trip() -> None:
    from tokensmith.services.webhooks import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint(
        id="wh_1",
        org_id="org_1",
        url="https://hooks.example/in",
        description="billing",
        events=["credential.created", "token.revoked"],
        enabled=False,
        failure_count=7,
        disabled_reason="failing",
        created_at=NOW,
        updated_at=NOW,
    )
    sent = CreatedWebhookEndpointOut.of(endpoint, secret="whsec_c2VjcmV0").model_dump(mode="json")
    read = client.CreatedWebhookEndpoint.from_json(sent)
    assert read.events == ("credential.created", "token.revoked") and read.disabled_reason == "failing"
    assert read.secret == "whsec_c2VjcmV0" and "whsec_" not in repr(read)
    assert CreatedWebhookEndpointOut.of(read).model_dump(mode="json") == sent

    delivery = WebhookDelivery(
        id="msg_1",
        endpoint_id="wh_1",
        event_type="token.revoked",
        payload={"type": "token.revoked", "timestamp": "2026-01-02T03:04:05Z", "data": {"id": "tok_1"}},
        status="failed",
        attempts=3,
        next_attempt_at=None,
        last_attempt_at=NOW,
        last_status_code=503,
        last_error="HTTP 503",
        delivered_at=None,
        created_at=NOW,
    )
    sent = WebhookDeliveryOut.of(delivery).model_dump(mode="json")
    read_delivery = client.WebhookDelivery.from_json(sent)
    assert read_delivery.payload["data"] == {"id": "tok_1"} and read_delivery.last_status_code == 503
    assert WebhookDeliveryOut.of(read_delivery).model_dump(mode="json") == sent
    assert client.WebhookDelivery.from_json({**sent, "last_status_code": None}).last_status_code is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"payload": "not an object"}, "field 'payload' is not a JSON object"),
        ({"last_status_code": "503"}, "field 'last_status_code' is missing or not an integer"),
    ],
)
def test_a_delivery_off_contract_is_refused(change: dict[str, Any], message: str) -> None:
    body = {
        "id": "msg_1",
        "endpoint_id": "wh_1",
        "event_type": "token.revoked",
        "payload": {},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": None,
        "last_attempt_at": None,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
        "created_at": "2026-01-02T03:04:05Z",
    }
    with pytest.raises(client.ResponseFormatError, match=message):
        client.WebhookDelivery.from_json({**body, **change})
