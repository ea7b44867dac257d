"""``/api/authorized-apps`` (a person's consents to public clients, OAuth 2.1 authorization code) and
``/api/oauth-clients`` (registered public clients, RFC 7591, for admins). Thin: call the service,
serialise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Path, Response

from tokensmith.http.management.area import ObjectRef, area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.routing import call, deleted, deletes
from tokensmith.wire.authorized_apps import AuthorizedAppOut, RegisteredClientOut
from tokensmith.wire.page import Page

router = area_router("authorized apps")
AppId = ObjectRef
ClientId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z2-7]+$")]
T = TypeVar("T")


@dataclass(frozen=True)
class _Whole(Generic[T]):
    """A list that fits on one page."""

    items: list[T]
    next_cursor: str | None = None


@router.get(
    "/api/authorized-apps", response_model=Page[AuthorizedAppOut], summary="List your authorized apps"
)
async def list_apps(actor: ActorDep, services: ServicesDep) -> Page[AuthorizedAppOut]:
    apps = await call(services, services.authorized_apps.list, actor)
    return Page.of(AuthorizedAppOut.of, _Whole(apps))


@deletes(
    router,
    "/api/authorized-apps/{app_id}",
    "Revoke an authorized app (its refresh and access tokens stop working at once)",
)
async def revoke_app(actor: ActorDep, services: ServicesDep, app_id: AppId) -> Response:
    return await deleted(services, services.authorized_apps.revoke, actor, app_id)


@router.get(
    "/api/oauth-clients", response_model=Page[RegisteredClientOut], summary="List registered public clients"
)
async def list_clients(actor: ActorDep, services: ServicesDep) -> Page[RegisteredClientOut]:
    clients = await call(services, services.client_registration.list, actor)
    return Page.of(RegisteredClientOut.of, _Whole(clients))


@deletes(
    router,
    "/api/oauth-clients/{client_id}",
    "Remove a registered public client (it can no longer sign anyone in nor refresh)",
)
async def remove_client(actor: ActorDep, services: ServicesDep, client_id: ClientId) -> Response:
    return await deleted(services, services.client_registration.remove, actor, client_id)
