"""The SDK's models are the server's description of each record: same fields, same order, same types
and the same nullability as the JSON schema of the :mod:`tokensmith.wire` model the server sends.

The SDK cannot import the server (nor pydantic), so its frozen dataclasses restate the fields; this is
what keeps the two from drifting apart."""

from __future__ import annotations

import dataclasses
import types
from datetime import UTC, datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from pydantic import BaseModel

from tokensmith import client
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.records import Organization, OrgPolicy
from tokensmith.core.roles import Role
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut
from tokensmith.wire.me import ClientMeOut, CredentialRef, MeOut
from tokensmith.wire.orgs import OrgRef, UserRef
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut

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
    return {str: "string", int: "integer", datetime: "date-time"}[annotation], False


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
    assert schema.get("type") in ("string", "integer"), schema  # enums are strings to the SDK
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
        client_secret="tss_secret",
    ).model_dump(mode="json")
    read = client.CreatedCredential.from_json(sent)
    assert read.scopes == ("a", "b") and read.previous_secret_expires_at == NOW
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
