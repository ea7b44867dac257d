"""What the management API returns, as frozen dataclasses (shapes from ``docs/contracts.md``).

Each model's fields are those of the server's description of the record (:mod:`tokensmith.wire`; a test
holds them to it, nullability included). Its ``from_json`` reads each field by its annotation, checks
it and ignores any field it does not know, so a newer server can add fields without breaking an older
SDK. A body that lacks a required field raises
:class:`~tokensmith.client.errors.ResponseFormatError`. Times are RFC 3339 and become aware ``datetime``
objects. The one-time secrets (:attr:`CreatedPersonalToken.token`, :attr:`CreatedCredential.client_secret`,
:attr:`~tokensmith.client.webhook_models.CreatedWebhookEndpoint.secret`) are left out of ``repr``.
The webhook models are in :mod:`tokensmith.client.webhook_models`.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from tokensmith.client.errors import ResponseFormatError

T = TypeVar("T")

Json = Mapping[str, Any]


def _object(value: object, what: str) -> Json:
    if not isinstance(value, Mapping):
        raise ResponseFormatError(f"{what} is not a JSON object")
    return value


def _str(data: Json, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ResponseFormatError(f"field {key!r} is missing or not a string")
    return value


def _opt_str(data: Json, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ResponseFormatError(f"field {key!r} is not a string")
    return value


def _int(data: Json, key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseFormatError(f"field {key!r} is missing or not an integer")
    return value


def _bool(data: Json, key: str) -> bool:
    value = data.get(key, False)  # a server from before the field sends none: false
    if not isinstance(value, bool):
        raise ResponseFormatError(f"field {key!r} is not true or false")
    return value


def _strings(data: Json, key: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ResponseFormatError(f"field {key!r} is missing or not a list of strings")
    return tuple(value)


def _opt_time(data: Json, key: str) -> datetime | None:
    value = _opt_str(data, key)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ResponseFormatError(f"field {key!r} is not an RFC 3339 time") from None


def _time(data: Json, key: str) -> datetime:
    value = _opt_time(data, key)
    if value is None:
        raise ResponseFormatError(f"field {key!r} is missing")
    return value


def _opt_strings(data: Json, key: str) -> tuple[str, ...] | None:
    return None if data.get(key) is None else _strings(data, key)


def _opt_int(data: Json, key: str) -> int | None:
    return None if data.get(key) is None else _int(data, key)


def _json_object(data: Json, key: str) -> Json:
    return _object(data.get(key), f"field {key!r}")


#: How a field is read, by its annotation (the wire model's type, see ``docs/contracts.md``).
_READERS: dict[object, Callable[[Json, str], Any]] = {
    str: _str,
    str | None: _opt_str,
    int: _int,
    int | None: _opt_int,
    bool: _bool,
    Json: _json_object,
    tuple[str, ...]: _strings,
    tuple[str, ...] | None: _opt_strings,
    datetime: _time,
    datetime | None: _opt_time,
}


class _Model:
    """``from_json`` for a frozen dataclass: each field read by the reader its annotation names, or, for
    a field that is itself a model, by that model."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    #: What the body is called in errors (``"personal token is not a JSON object"``).
    _what: ClassVar[str]

    if TYPE_CHECKING:

        def __init__(self, **fields: Any) -> None: ...

    @classmethod
    def from_json(cls, data: object) -> Self:
        return cls._read(data, cls._what)

    @classmethod
    def _read(cls, data: object, what: str) -> Self:
        body = _object(data, what)
        values: dict[str, Any] = {}
        for name, kind in _field_types(cls).items():
            reader = _READERS.get(kind)
            if reader is not None:
                values[name] = reader(body, name)
                continue
            model, nullable = _nested(kind)
            raw = body.get(name)
            values[name] = None if nullable and raw is None else model._read(raw, name)
        return cls(**values)


def _nested(kind: Any) -> tuple[type[_Model], bool]:
    """The model a nested field holds, and whether it may be null (``User | None``)."""
    args = get_args(kind)
    if get_origin(kind) in (Union, types.UnionType) and type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        return inner, True
    return kind, False


_FIELD_TYPES: dict[type[_Model], dict[str, Any]] = {}


def _field_types(model: type[_Model]) -> dict[str, Any]:
    """Each field's annotation, resolved (once per model)."""
    if model not in _FIELD_TYPES:
        hints = get_type_hints(model)
        _FIELD_TYPES[model] = {item.name: hints[item.name] for item in fields(model)}
    return _FIELD_TYPES[model]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list (``{"items": [...], "next_cursor": ...}``); iterate it for its items."""

    items: tuple[T, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def from_json(cls, data: object, item: Callable[[object], T]) -> Page[T]:
        body = _object(data, "list response")
        items = body.get("items")
        if not isinstance(items, list):
            raise ResponseFormatError("field 'items' is missing or not a list")
        return cls(items=tuple(item(entry) for entry in items), next_cursor=_opt_str(body, "next_cursor"))


@dataclass(frozen=True)
class PersonalToken(_Model):
    """A personal access token's metadata (never the token itself)."""

    _what = "personal token"

    id: str
    name: str
    description: str
    scopes: tuple[str, ...]
    token_hint: str
    org_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedPersonalToken(PersonalToken):
    """A personal token just created: :attr:`token` is shown this once and never again."""

    token: str = field(repr=False, kw_only=True)


@dataclass(frozen=True)
class Credential(_Model):
    """An API credential (an OAuth client): its public client ID and settings, never its secret."""

    _what = "credential"

    id: str
    client_id: str
    kind: str
    name: str
    description: str
    org_id: str
    user_id: str | None
    scopes: tuple[str, ...]
    token_format: str
    token_ttl: int
    secret_hint: str
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    previous_secret_expires_at: datetime | None
    #: ``client_secret`` or ``private_key_jwt`` (RFC 7523 §2.2: the client signs assertions).
    auth_method: str
    #: RFC 7638 thumbprints of a ``private_key_jwt`` credential's registered keys.
    key_thumbprints: tuple[str, ...]
    jwks_uri: str | None
    #: Token requests get the still-valid token already issued for the same scope.
    reuse_tokens: bool = False
    #: Token requests without a DPoP proof (RFC 9449 §5) are refused.
    require_dpop: bool = False


@dataclass(frozen=True)
class CreatedCredential(Credential):
    """A credential just created or regenerated: :attr:`client_secret` is shown this once
    (``None`` for a ``private_key_jwt`` credential, which has no secret)."""

    client_secret: str | None = field(repr=False, kw_only=True)


@dataclass(frozen=True)
class Resource(_Model):
    """An API access tokens can be issued for (RFC 8707): ask for a token with ``resource=uri``."""

    _what = "resource"

    id: str
    name: str
    uri: str
    scopes: tuple[str, ...]
    builtin: bool
    created_at: datetime | None


@dataclass(frozen=True)
class User(_Model):
    _what = "user"

    id: str
    email: str


@dataclass(frozen=True)
class Organization(_Model):
    _what = "org"

    id: str
    name: str


@dataclass(frozen=True)
class Me(_Model):
    """Who the management API sees (``GET /api/me``): the user, the organisation acted in, and how."""

    _what = "me"

    user: User
    org: Organization
    role: str
    scopes: tuple[str, ...] | None
    auth: str
    #: ``"user"``: a person is calling (a personal token, a user's access token, a session).
    subject_type: str


@dataclass(frozen=True)
class CredentialRef(_Model):
    """The credential a client's access token was issued to (in :class:`ClientMe`)."""

    _what = "credential"

    id: str
    client_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class ClientMe(_Model):
    """``GET /api/me`` with a client's access token (client credentials grant): the credential, its
    organisation, the member a personal credential acts for (``None`` for an organisation one) and the
    token's scopes."""

    _what = "me"

    credential: CredentialRef
    org: Organization
    owner: User | None
    scopes: tuple[str, ...]
    auth: str
    #: ``"client"``: an OAuth client is calling.
    subject_type: str


def me_from_json(data: object) -> Me | ClientMe:
    """The answer of ``GET /api/me``, told apart by ``subject_type``."""
    if isinstance(data, Mapping) and data.get("subject_type") == "client":
        return ClientMe.from_json(data)
    return Me.from_json(data)
