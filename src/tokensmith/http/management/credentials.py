"""``/api/credentials``: API credentials (OAuth clients). ``{id}`` is the id or the client ID."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from tokensmith.core.records import CredentialKind, TokenFormat
from tokensmith.http.management.auth import ActorDep, ServicesDep, org_of
from tokensmith.http.management.pagination import PageDep
from tokensmith.http.management.problems import problems
from tokensmith.http.management.schemas import CredentialCreate, CredentialPatch, Regenerate
from tokensmith.http.management.strict_json import StrictJSONRoute
from tokensmith.web.blocking import call_blocking
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut
from tokensmith.wire.page import Page

router = APIRouter(prefix="/api/credentials", tags=["credentials"], route_class=StrictJSONRoute)
CredentialRef = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


@router.get("", response_model=Page[CredentialOut], summary="List credentials you may see")
async def list_credentials(
    actor: ActorDep,
    services: ServicesDep,
    page: PageDep,
    kind: Annotated[Literal["personal", "organization"] | None, Query()] = None,
) -> Page[CredentialOut]:
    result = await call_blocking(
        services.database,
        services.credentials.list,
        actor,
        org_id=org_of(actor),
        kind=CredentialKind(kind) if kind is not None else None,
        cursor=page.cursor,
        limit=page.limit,
    )
    return Page.of(CredentialOut.of, result)


@router.post(
    "",
    status_code=201,
    response_model=CreatedCredentialOut,
    responses=problems(409),
    summary="Create a personal or organisation credential (its secret is shown once)",
)
async def create_credential(
    actor: ActorDep, services: ServicesDep, body: CredentialCreate
) -> CreatedCredentialOut:
    created = await call_blocking(
        services.database,
        services.credentials.create,
        actor,
        org_id=org_of(actor),
        name=body.name,
        kind=CredentialKind(body.kind),
        description=body.description,
        scopes=list(body.scopes) if body.scopes is not None else None,
        token_format=TokenFormat(body.token_format),
        token_ttl=body.token_ttl,
    )
    return CreatedCredentialOut.of(created.credential, client_secret=created.client_secret)


@router.get("/{credential_id}", response_model=CredentialOut, summary="Show a credential")
async def get_credential(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef
) -> CredentialOut:
    return CredentialOut.of(
        await call_blocking(services.database, services.credentials.get, actor, credential_id)
    )


@router.patch("/{credential_id}", response_model=CredentialOut, summary="Rename or re-describe a credential")
async def update_credential(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, body: CredentialPatch
) -> CredentialOut:
    return CredentialOut.of(
        await call_blocking(
            services.database,
            services.credentials.rename,
            actor,
            credential_id,
            name=body.name,
            description=body.description,
        )
    )


@router.post(
    "/{credential_id}/regenerate",
    response_model=CreatedCredentialOut,
    summary="Regenerate the secret (the old one dies at once, or after grace_seconds)",
)
async def regenerate_credential(
    actor: ActorDep, services: ServicesDep, credential_id: CredentialRef, body: Regenerate | None = None
) -> CreatedCredentialOut:
    grace = body.grace_seconds if body is not None else 0
    created = await call_blocking(
        services.database, services.credentials.regenerate, actor, credential_id, grace_seconds=grace
    )
    return CreatedCredentialOut.of(created.credential, client_secret=created.client_secret)


@router.delete("/{credential_id}", status_code=204, response_class=Response, summary="Delete a credential")
async def delete_credential(actor: ActorDep, services: ServicesDep, credential_id: CredentialRef) -> Response:
    await call_blocking(services.database, services.credentials.delete, actor, credential_id)
    return Response(status_code=204)
