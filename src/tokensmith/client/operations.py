"""The management API's operations, sans I/O: each builds a :class:`Call` (method, path, query, JSON body)
and knows how to read its response.

``ManagementClient`` and ``AsyncManagementClient`` only send a ``Call`` and hand the response back to
:meth:`Call.result`, so request building and response parsing are written once for both. Routes and
shapes are those of ``docs/contracts.md``. The clients' methods are these functions, so each operation's
signature and documentation are written here, once; errors are RFC 9457 problem details
(:func:`~tokensmith.client.errors.api_error_from_response`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx

from tokensmith.client.authorization_models import AuthorizedApp
from tokensmith.client.errors import ResponseFormatError, api_error_from_response
from tokensmith.client.models import (
    ClientMe,
    CreatedCredential,
    CreatedPersonalToken,
    Credential,
    Me,
    Page,
    PersonalToken,
    Resource,
    me_from_json,
)

T = TypeVar("T")

CredentialKind = Literal["personal", "organization"]
TokenFormat = Literal["jwt", "opaque"]


def _no_body(_: object) -> None:
    return None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One management API request and the parser for its successful response body."""

    method: str
    path: str
    parse: Callable[[object], T] = field(repr=False)
    params: Mapping[str, str] = field(default_factory=dict)
    json: Mapping[str, Any] | None = None

    def result(self, response: httpx.Response) -> T:
        """The parsed body of a 2xx response; an :class:`~tokensmith.client.errors.ApiError` otherwise."""
        if not response.is_success:
            raise api_error_from_response(response)
        if self.parse is _no_body:
            return self.parse(None)
        try:
            body = json.loads(response.content)
        except ValueError:
            raise ResponseFormatError(f"{self.method} {self.path}: the response is not JSON") from None
        return self.parse(body)


def given(**members: Any) -> dict[str, Any]:
    """A JSON body's optional members: those given, that is not ``None`` (in the order named)."""
    return {key: value for key, value in members.items() if value is not None}


def _id(value: str) -> str:
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="")


def _page_params(limit: int | None, cursor: str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if limit is not None:
        if not 1 <= limit <= 200:
            raise ValueError("limit must be between 1 and 200")
        params["limit"] = str(limit)
    if cursor is not None:
        params["cursor"] = cursor
    return params


def array_of(item: Callable[[object], T], what: str, body: object) -> tuple[T, ...]:
    """A response that is a JSON array (not a page), each element read by ``item``."""
    if not isinstance(body, list):
        raise ResponseFormatError(f"{what} is not a JSON array")
    return tuple(item(entry) for entry in body)


def _seconds(value: float | timedelta) -> int:
    return int(value.total_seconds() if isinstance(value, timedelta) else value)


def me() -> Call[Me | ClientMe]:
    """``GET /api/me``: the caller (a user, or with a client's access token the client), the
    organisation acted in, and the scopes it holds."""
    return Call("GET", "/api/me", me_from_json)


# -- personal access tokens ---------------------------------------------------------------------------


def list_tokens(
    expiring_within: float | timedelta | None = None, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[PersonalToken]]:
    """``GET /api/tokens``: one page; ``expiring_within`` (seconds) keeps those expiring soon."""
    params = _page_params(limit, cursor)
    if expiring_within is not None:
        params["expiring_within"] = str(_seconds(expiring_within))
    return Call("GET", "/api/tokens", partial(Page.from_json, item=PersonalToken.from_json), params=params)


def create_token(
    name: str,
    scopes: list[str] | tuple[str, ...],
    description: str | None = None,
    expires_in_days: int | None = None,
    *,
    expires_at: datetime | None = None,
) -> Call[CreatedPersonalToken]:
    """``POST /api/tokens``: the result's ``token`` is shown this once."""
    if expires_in_days is not None and expires_at is not None:
        raise ValueError("give expires_in_days or expires_at, not both")
    if expires_at is not None and expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    body = {"name": name, "scopes": list(scopes)} | given(
        description=description,
        expires_in_days=expires_in_days,
        expires_at=None if expires_at is None else expires_at.isoformat(),
    )
    return Call("POST", "/api/tokens", CreatedPersonalToken.from_json, json=body)


def token_pages(
    cursor: str | None, expiring_within: float | timedelta | None = None, *, page_size: int | None = None
) -> Call[Page[PersonalToken]]:
    """Every personal token, following ``next_cursor`` page after page."""
    return list_tokens(expiring_within, limit=page_size, cursor=cursor)


def get_token(token_id: str) -> Call[PersonalToken]:
    """``GET /api/tokens/{id}``."""
    return Call("GET", f"/api/tokens/{_id(token_id)}", PersonalToken.from_json)


def update_token(
    token_id: str, name: str | None = None, description: str | None = None
) -> Call[PersonalToken]:
    """``PATCH /api/tokens/{id}``: name and description only (scopes and expiry are immutable)."""
    body = given(name=name, description=description)
    if not body:
        raise ValueError("give a name or a description to change")
    return Call("PATCH", f"/api/tokens/{_id(token_id)}", PersonalToken.from_json, json=body)


def regenerate_token(token_id: str) -> Call[CreatedPersonalToken]:
    """``POST /api/tokens/{id}/regenerate``: a new ``token`` value (shown once); the old one dies now."""
    return Call("POST", f"/api/tokens/{_id(token_id)}/regenerate", CreatedPersonalToken.from_json)


def revoke_token(token_id: str) -> Call[None]:
    """``DELETE /api/tokens/{id}``: immediate and irreversible."""
    return Call("DELETE", f"/api/tokens/{_id(token_id)}", _no_body)


# -- credentials --------------------------------------------------------------------------------------


def list_credentials(
    kind: CredentialKind | None = None, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Credential]]:
    """``GET /api/credentials``: one page, optionally only ``personal`` or ``organization`` ones."""
    params = _page_params(limit, cursor)
    if kind is not None:
        params["kind"] = kind
    return Call("GET", "/api/credentials", partial(Page.from_json, item=Credential.from_json), params=params)


def credential_pages(
    cursor: str | None, kind: CredentialKind | None = None, *, page_size: int | None = None
) -> Call[Page[Credential]]:
    """Every credential, following ``next_cursor`` page after page."""
    return list_credentials(kind, limit=page_size, cursor=cursor)


def create_credential(
    name: str,
    kind: CredentialKind,
    scopes: list[str] | tuple[str, ...] | None = None,
    token_format: TokenFormat | None = None,
    token_ttl: int | None = None,
    description: str | None = None,
    require_dpop: bool | None = None,
    *,
    jwks: Mapping[str, Any] | None = None,
    jwks_uri: str | None = None,
    reuse_tokens: bool | None = None,
) -> Call[CreatedCredential]:
    """``POST /api/credentials``: the result's ``client_secret`` is shown this once. With ``jwks`` (public
    keys) or ``jwks_uri`` the credential is keyless (``private_key_jwt``, RFC 7523 §2.2): no secret.
    ``require_dpop``: its token requests must carry a DPoP proof (RFC 9449 §5). ``reuse_tokens``: a
    token request is answered with the still-valid token already issued, not a new one."""
    keyless = jwks is not None or jwks_uri is not None
    body = {"name": name, "kind": kind} | given(
        auth_method="private_key_jwt" if keyless else None,
        jwks=None if jwks is None else dict(jwks),
        jwks_uri=jwks_uri,
        description=description,
        scopes=None if scopes is None else list(scopes),
        token_format=token_format,
        token_ttl=token_ttl,
        require_dpop=require_dpop,
        reuse_tokens=reuse_tokens,
    )
    return Call("POST", "/api/credentials", CreatedCredential.from_json, json=body)


def add_credential_key(credential_id: str, jwk: Mapping[str, Any]) -> Call[Credential]:
    """``POST /api/credentials/{id}/keys``: one more public key (a rotation's first step)."""
    path = f"/api/credentials/{_id(credential_id)}/keys"
    return Call("POST", path, Credential.from_json, json={"jwk": dict(jwk)})


def remove_credential_key(credential_id: str, key_thumbprint: str) -> Call[Credential]:
    """``DELETE /api/credentials/{id}/keys/{thumbprint}``: the key named by its RFC 7638 thumbprint."""
    path = f"/api/credentials/{_id(credential_id)}/keys/{_id(key_thumbprint)}"
    return Call("DELETE", path, Credential.from_json)


def replace_credential_keys(credential_id: str, jwks: Mapping[str, Any]) -> Call[Credential]:
    """``PUT /api/credentials/{id}/keys``: the whole key set at once."""
    path = f"/api/credentials/{_id(credential_id)}/keys"
    return Call("PUT", path, Credential.from_json, json={"jwks": dict(jwks)})


def get_credential(credential_id: str) -> Call[Credential]:
    """``GET /api/credentials/{id}``: ``credential_id`` may be the id or the client ID."""
    return Call("GET", f"/api/credentials/{_id(credential_id)}", Credential.from_json)


def rename_credential(credential_id: str, name: str, description: str | None = None) -> Call[Credential]:
    """``PATCH /api/credentials/{id}``."""
    body = {"name": name} if description is None else {"name": name, "description": description}
    return Call("PATCH", f"/api/credentials/{_id(credential_id)}", Credential.from_json, json=body)


def update_credential(
    credential_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    reuse_tokens: bool | None = None,
    require_dpop: bool | None = None,
) -> Call[Credential]:
    """``PATCH /api/credentials/{id}``: only what is given changes (name, description, token reuse,
    whether token requests need a DPoP proof)."""
    body = given(name=name, description=description, reuse_tokens=reuse_tokens, require_dpop=require_dpop)
    if not body:
        raise ValueError("give something to change")
    return Call("PATCH", f"/api/credentials/{_id(credential_id)}", Credential.from_json, json=body)


def regenerate_credential_secret(
    credential_id: str, grace_seconds: int | None = None
) -> Call[CreatedCredential]:
    """``POST /api/credentials/{id}/regenerate``: the old secret dies now, or after ``grace_seconds``."""
    body = {} if grace_seconds is None else {"grace_seconds": grace_seconds}
    return Call(
        "POST", f"/api/credentials/{_id(credential_id)}/regenerate", CreatedCredential.from_json, json=body
    )


def delete_credential(credential_id: str) -> Call[None]:
    """``DELETE /api/credentials/{id}``."""
    return Call("DELETE", f"/api/credentials/{_id(credential_id)}", _no_body)


# -- resources (RFC 8707) -----------------------------------------------------------------------------


def list_resources() -> Call[tuple[Resource, ...]]:
    """``GET /api/resources``: every API tokens can be issued for, built-in ones first."""
    return Call("GET", "/api/resources", partial(array_of, Resource.from_json, "the resource list"))


def get_resource(resource_id: str) -> Call[Resource]:
    """``GET /api/resources/{id}``."""
    return Call("GET", f"/api/resources/{_id(resource_id)}", Resource.from_json)


def create_resource(name: str, uri: str, scopes: list[str] | tuple[str, ...] = ()) -> Call[Resource]:
    """``POST /api/resources``: register an API (an absolute URI without fragment or query) and the
    scopes it accepts. Needs a token carrying ``resources:write``, which only the operator grants."""
    return Call(
        "POST", "/api/resources", Resource.from_json, json={"name": name, "uri": uri, "scopes": list(scopes)}
    )


def delete_resource(resource_id: str) -> Call[None]:
    """``DELETE /api/resources/{id}``: no new token is issued for it (built-in ones cannot be deleted)."""
    return Call("DELETE", f"/api/resources/{_id(resource_id)}", _no_body)


# -- authorized apps (the authorization code flow) ---------------------------------------------------


def list_authorized_apps() -> Call[Page[AuthorizedApp]]:
    """``GET /api/authorized-apps``: the apps the caller authorized in their current organisation."""
    return Call("GET", "/api/authorized-apps", partial(Page.from_json, item=AuthorizedApp.from_json))


def revoke_authorized_app(app_id: str) -> Call[None]:
    """``DELETE /api/authorized-apps/{id}``: its refresh token and access tokens stop working at once."""
    return Call("DELETE", f"/api/authorized-apps/{_id(app_id)}", _no_body)
