"""``/api/tokens``: personal access tokens (seed 001). Thin: parse, call the service, serialise."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query, Response

from tokensmith.http.management.area import ObjectRef, area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.pagination import PageDep
from tokensmith.http.management.problems import problems
from tokensmith.http.management.routing import call, creates, deleted, deletes, paged
from tokensmith.http.management.schemas import PersonalTokenCreate, PersonalTokenPatch
from tokensmith.wire.page import Page
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut

router = area_router("personal access tokens", "/api/tokens")
TokenId = ObjectRef
TEN_YEARS = 10 * 366 * 86400


@router.get("", response_model=Page[PersonalTokenOut], summary="List your personal access tokens")
async def list_tokens(
    actor: ActorDep,
    services: ServicesDep,
    page: PageDep,
    expiring_within: Annotated[
        int | None, Query(ge=1, le=TEN_YEARS, description="Only tokens expiring within this many seconds.")
    ] = None,
) -> Page[PersonalTokenOut]:
    within = timedelta(seconds=expiring_within) if expiring_within is not None else None
    return await paged(
        services, PersonalTokenOut.of, services.personal_tokens.list, actor, page, expiring_within=within
    )


@creates(router, "", CreatedPersonalTokenOut, "Create a personal access token (its value is shown once)", 409)
async def create_token(
    actor: ActorDep, services: ServicesDep, body: PersonalTokenCreate
) -> CreatedPersonalTokenOut:
    created = await call(
        services,
        services.personal_tokens.create,
        actor,
        name=body.name,
        description=body.description,
        scopes=list(body.scopes),
        expires_at=body.expires_at,
        expires_in_days=body.expires_in_days,
    )
    return CreatedPersonalTokenOut.of(created.token, token=created.plain)


@router.get("/{token_id}", response_model=PersonalTokenOut, summary="Show a personal access token")
async def get_token(actor: ActorDep, services: ServicesDep, token_id: TokenId) -> PersonalTokenOut:
    return PersonalTokenOut.of(await call(services, services.personal_tokens.get, actor, token_id))


@router.patch(
    "/{token_id}", response_model=PersonalTokenOut, summary="Rename or re-describe a personal access token"
)
async def update_token(
    actor: ActorDep, services: ServicesDep, token_id: TokenId, body: PersonalTokenPatch
) -> PersonalTokenOut:
    token = await call(
        services,
        services.personal_tokens.update,
        actor,
        token_id,
        name=body.name,
        description=body.description,
        other_fields=body.model_fields_set - {"name", "description"},
    )
    return PersonalTokenOut.of(token)


@router.post(
    "/{token_id}/regenerate",
    response_model=CreatedPersonalTokenOut,
    responses=problems(409),
    summary="Regenerate a personal access token (the new value is shown once; the old one dies at once)",
)
async def regenerate_token(
    actor: ActorDep, services: ServicesDep, token_id: TokenId
) -> CreatedPersonalTokenOut:
    created = await call(services, services.personal_tokens.regenerate, actor, token_id)
    return CreatedPersonalTokenOut.of(created.token, token=created.plain)


@deletes(router, "/{token_id}", "Revoke a personal access token")
async def revoke_token(actor: ActorDep, services: ServicesDep, token_id: TokenId) -> Response:
    return await deleted(services, services.personal_tokens.revoke, actor, token_id)
