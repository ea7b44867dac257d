"""What the management API returns, as frozen dataclasses (shapes from ``docs/contracts.md``).

Each model has a ``from_json`` that checks the fields it needs and ignores any it does not know, so a
newer server can add fields without breaking an older SDK. A body that lacks a required field raises
:class:`~tokensmith.client.errors.ResponseFormatError`. Times are RFC 3339 and become aware ``datetime``
objects. The one-time secrets (:attr:`CreatedPersonalToken.token`, :attr:`CreatedCredential.client_secret`)
are left out of ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

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
class PersonalToken:
    """A personal access token's metadata (never the token itself)."""

    id: str
    name: str
    description: str | None
    scopes: tuple[str, ...]
    token_hint: str
    org_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def _fields(cls, data: object) -> dict[str, Any]:
        body = _object(data, "personal token")
        return {
            "id": _str(body, "id"),
            "name": _str(body, "name"),
            "description": _opt_str(body, "description"),
            "scopes": _strings(body, "scopes"),
            "token_hint": _str(body, "token_hint"),
            "org_id": _str(body, "org_id"),
            "user_id": _str(body, "user_id"),
            "created_at": _time(body, "created_at"),
            "expires_at": _opt_time(body, "expires_at"),
            "last_used_at": _opt_time(body, "last_used_at"),
            "revoked_at": _opt_time(body, "revoked_at"),
        }

    @classmethod
    def from_json(cls, data: object) -> PersonalToken:
        return PersonalToken(**cls._fields(data))


@dataclass(frozen=True)
class CreatedPersonalToken(PersonalToken):
    """A personal token just created: :attr:`token` is shown this once and never again."""

    token: str = field(repr=False, kw_only=True)

    @classmethod
    def from_json(cls, data: object) -> CreatedPersonalToken:
        return CreatedPersonalToken(**cls._fields(data), token=_str(_object(data, "personal token"), "token"))


@dataclass(frozen=True)
class Credential:
    """An API credential (an OAuth client): its public client ID and settings, never its secret."""

    id: str
    client_id: str
    kind: str
    name: str
    description: str | None
    org_id: str
    user_id: str | None
    scopes: tuple[str, ...]
    token_format: str
    token_ttl: int
    secret_hint: str | None
    created_at: datetime
    updated_at: datetime | None
    last_used_at: datetime | None
    previous_secret_expires_at: datetime | None

    @classmethod
    def _fields(cls, data: object) -> dict[str, Any]:
        body = _object(data, "credential")
        return {
            "id": _str(body, "id"),
            "client_id": _str(body, "client_id"),
            "kind": _str(body, "kind"),
            "name": _str(body, "name"),
            "description": _opt_str(body, "description"),
            "org_id": _str(body, "org_id"),
            "user_id": _opt_str(body, "user_id"),
            "scopes": _strings(body, "scopes"),
            "token_format": _str(body, "token_format"),
            "token_ttl": _int(body, "token_ttl"),
            "secret_hint": _opt_str(body, "secret_hint"),
            "created_at": _time(body, "created_at"),
            "updated_at": _opt_time(body, "updated_at"),
            "last_used_at": _opt_time(body, "last_used_at"),
            "previous_secret_expires_at": _opt_time(body, "previous_secret_expires_at"),
        }

    @classmethod
    def from_json(cls, data: object) -> Credential:
        return Credential(**cls._fields(data))


@dataclass(frozen=True)
class CreatedCredential(Credential):
    """A credential just created or regenerated: :attr:`client_secret` is shown this once."""

    client_secret: str = field(repr=False, kw_only=True)

    @classmethod
    def from_json(cls, data: object) -> CreatedCredential:
        secret = _str(_object(data, "credential"), "client_secret")
        return CreatedCredential(**cls._fields(data), client_secret=secret)


@dataclass(frozen=True)
class User:
    id: str
    email: str


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True)
class Me:
    """Who the management API sees (``GET /api/me``): the user, the organisation acted in, and how."""

    user: User
    org: Organization
    role: str
    scopes: tuple[str, ...] | None
    auth: str

    @classmethod
    def from_json(cls, data: object) -> Me:
        body = _object(data, "me")
        user = _object(body.get("user"), "user")
        org = _object(body.get("org"), "org")
        return Me(
            user=User(id=_str(user, "id"), email=_str(user, "email")),
            org=Organization(id=_str(org, "id"), name=_str(org, "name")),
            role=_str(body, "role"),
            scopes=None if body.get("scopes") is None else _strings(body, "scopes"),
            auth=_str(body, "auth"),
        )
