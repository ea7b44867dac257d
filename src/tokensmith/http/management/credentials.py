"""``/api/credentials``: API credentials (OAuth clients). ``{id}`` is the id or the client ID."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Path, Query, Response

from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.errors import NotFound
from tokensmith.core.records import CredentialKind, TokenFormat
from tokensmith.http.management.area import ObjectRef, area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep, org_of
from tokensmith.http.management.pagination import PageDep
from tokensmith.http.management.problems import problems
from tokensmith.http.management.routing import Route, call, creates, deleted, deletes, paged
from tokensmith.http.management.schemas import (
    CredentialCreate,
    CredentialKeyAdd,
    CredentialKeysReplace,
    CredentialPatch,
    Regenerate,
)
from tokensmith.services.container import Services
from tokensmith.services.credential_keys import CredentialKeyService
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut
from tokensmith.wire.page import Page

router = area_router("credentials", "/api/credentials")
CredentialRef = ObjectRef
KeyThumbprint = Annotated[str, Path(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("", response_model=Page[CredentialOut], summary="List credentials you may see")
async def list_credentials(
    actor: ActorDep,
    services: ServicesDep,
    page: PageDep,
    kind: Annotated[Literal["personal", "organization"] | None, Query()] = None,
) -> Page[CredentialOut]:
    kind_ = CredentialKind(kind) if kind is not None else None
    return await paged(
        services, CredentialOut.of, services.credentials.list, actor, page, org_id=org_of(actor), kind=kind_
    )


@creates(
    router,
    "",
    CreatedCredentialOut,
    "Create a personal or organisation credential (its secret is shown once)",
    409,
)
async def create_credential(
    actor: ActorDep, services: ServicesDep, body: CredentialCreate
) -> CreatedCredentialOut:
    created = await call(
        services,
        services.credentials.create,
        actor,
        org_id=org_of(actor),
        name=body.name,
        kind=CredentialKind(body.kind),
        description=body.description,
        scopes=list(body.scopes) if body.scopes is not None else None,
        token_format=TokenFormat(body.token_format),
        token_ttl=body.token_ttl,
        reuse_tokens=body.reuse_tokens,
        auth_method=ClientAuthMethod(body.auth_method),
        jwks=body.jwks,
        jwks_uri=body.jwks_uri,
        require_dpop=body.require_dpop,
    )
    return CreatedCredentialOut.of(created.credential, client_secret=created.shown_secret)


@router.get("/{credential_id}", response_model=CredentialOut, summary="Show a credential")
async def get_credential(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef
) -> CredentialOut:
    return CredentialOut.of(await call(services, services.credentials.get, actor, credential_id))


@router.patch(
    "/{credential_id}",
    response_model=CredentialOut,
    summary="Rename or re-describe a credential, set token reuse, or change whether it requires DPoP",
)
async def update_credential(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, body: CredentialPatch
) -> CredentialOut:
    credentials = services.credentials
    updated = None
    if body.require_dpop is not None:
        updated = await call(services, credentials.set_require_dpop, actor, credential_id, body.require_dpop)
    if body.reuse_tokens is not None:
        updated = await call(
            services, credentials.set_token_reuse, actor, credential_id, enabled=body.reuse_tokens
        )
    if updated is None or body.name is not None or body.description is not None:
        updated = await call(
            services, credentials.rename, actor, credential_id, name=body.name, description=body.description
        )
    return CredentialOut.of(updated)


@router.post(
    "/{credential_id}/regenerate",
    response_model=CreatedCredentialOut,
    summary="Regenerate the secret (the old one dies at once, or after grace_seconds)",
)
async def regenerate_credential(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, body: Regenerate | None = None
) -> CreatedCredentialOut:
    grace = body.grace_seconds if body is not None else 0
    created = await call(services, services.credentials.regenerate, actor, credential_id, grace_seconds=grace)
    return CreatedCredentialOut.of(created.credential, client_secret=created.client_secret)


def _keys(
    route: Callable[..., Callable[[Route], Route]], path: str, summary: str
) -> Callable[[Route], Route]:
    """A route changing a ``private_key_jwt`` credential's keys: it answers the credential."""
    return route(path, response_model=CredentialOut, responses=problems(409), summary=summary)


def _key_service(services: Services) -> CredentialKeyService:
    if services.credential_keys is None:  # pragma: no cover - build_services always makes one
        raise NotFound("this deployment manages no credential keys")
    return services.credential_keys


@_keys(
    router.post,
    "/{credential_id}/keys",
    "Register one more public key of a private_key_jwt credential (rotation)",
)
async def add_credential_key(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, body: CredentialKeyAdd
) -> CredentialOut:
    return CredentialOut.of(await call(services, _key_service(services).add, actor, credential_id, body.jwk))


@_keys(router.put, "/{credential_id}/keys", "Replace the whole key set of a private_key_jwt credential")
async def replace_credential_keys(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, body: CredentialKeysReplace
) -> CredentialOut:
    return CredentialOut.of(
        await call(services, _key_service(services).replace, actor, credential_id, body.jwks)
    )


@_keys(
    router.delete,
    "/{credential_id}/keys/{thumbprint}",
    "Unregister a public key, named by its RFC 7638 thumbprint (the last key cannot go)",
)
async def remove_credential_key(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, thumbprint: KeyThumbprint
) -> CredentialOut:
    return CredentialOut.of(
        await call(services, _key_service(services).remove, actor, credential_id, thumbprint)
    )


@deletes(router, "/{credential_id}", "Delete a credential")
async def delete_credential(actor: ActorDep, services: ServicesDep, credential_id: CredentialRef) -> Response:
    return await deleted(services, services.credentials.delete, actor, credential_id)
