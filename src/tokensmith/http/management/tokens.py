"""``/api/tokens``: personal access tokens (seed 001). Thin: parse, call the service, serialise."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.pagination import PageDep
from tokensmith.http.management.problems import problems
from tokensmith.http.management.schemas import PersonalTokenCreate, PersonalTokenPatch
from tokensmith.http.management.strict_json import StrictJSONRoute
from tokensmith.web.blocking import call_blocking
from tokensmith.wire.page import Page
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut

router = APIRouter(prefix="/api/tokens", tags=["personal access tokens"], route_class=StrictJSONRoute)
TokenId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
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
    result = await call_blocking(
        services.database,
        services.personal_tokens.list,
        actor,
        expiring_within=timedelta(seconds=expiring_within) if expiring_within is not None else None,
        cursor=page.cursor,
        limit=page.limit,
    )
    return Page.of(PersonalTokenOut.of, result)


@router.post(
    "",
    status_code=201,
    response_model=CreatedPersonalTokenOut,
    responses=problems(409),
    summary="Create a personal access token (its value is shown once)",
)
async def create_token(
    actor: ActorDep, services: ServicesDep, body: PersonalTokenCreate
) -> CreatedPersonalTokenOut:
    created = await call_blocking(
        services.database,
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
    return PersonalTokenOut.of(
        await call_blocking(services.database, services.personal_tokens.get, actor, token_id)
    )


@router.patch(
    "/{token_id}", response_model=PersonalTokenOut, summary="Rename or re-describe a personal access token"
)
async def update_token(
    actor: ActorDep, services: ServicesDep, token_id: TokenId, body: PersonalTokenPatch
) -> PersonalTokenOut:
    token = await call_blocking(
        services.database,
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
    created = await call_blocking(services.database, services.personal_tokens.regenerate, actor, token_id)
    return CreatedPersonalTokenOut.of(created.token, token=created.plain)


@router.delete(
    "/{token_id}", status_code=204, response_class=Response, summary="Revoke a personal access token"
)
async def revoke_token(actor: ActorDep, services: ServicesDep, token_id: TokenId) -> Response:
    await call_blocking(services.database, services.personal_tokens.revoke, actor, token_id)
    return Response(status_code=204)
