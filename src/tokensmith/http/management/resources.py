"""``/api/resources``: the APIs tokens can be issued for (RFC 8707), a server-wide registry.

Anyone signed in reads it (the same facts RFC 9728 metadata publishes). Adding and deleting are
the operator's: the CLI, or a token carrying ``resources:write`` — a scope only the operator can
grant, like ``tokens:introspect`` (:data:`~tokensmith.core.permissions.OPERATOR_SCOPES`).
"""

from __future__ import annotations

from fastapi import Response

from tokensmith.http.management.area import ObjectRef, area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.routing import call, creates, deleted, deletes
from tokensmith.http.management.schemas import ResourceCreate
from tokensmith.wire.resources import ResourceOut

router = area_router("resources", "/api/resources")
ResourceId = ObjectRef


@router.get("", response_model=list[ResourceOut], summary="Every resource tokens can be issued for")
async def list_resources(actor: ActorDep, services: ServicesDep) -> list[ResourceOut]:
    found = await call(services, services.resources.list, actor)
    return [ResourceOut.of(resource) for resource in found]


@router.get("/{resource_id}", response_model=ResourceOut, summary="One resource")
async def get_resource(actor: ActorDep, services: ServicesDep, resource_id: ResourceId) -> ResourceOut:
    return ResourceOut.of(await call(services, services.resources.get, actor, resource_id))


@creates(
    router,
    "",
    ResourceOut,
    "Register a resource (needs resources:write, which only the operator grants)",
    409,
)
async def create_resource(actor: ActorDep, services: ServicesDep, body: ResourceCreate) -> ResourceOut:
    created = await call(
        services, services.resources.create, actor, name=body.name, uri=body.uri, scopes=body.scopes
    )
    return ResourceOut.of(created)


@deletes(
    router, "/{resource_id}", "Delete a resource: no new token is issued for it (needs resources:write)", 409
)
async def delete_resource(actor: ActorDep, services: ServicesDep, resource_id: ResourceId) -> Response:
    return await deleted(services, services.resources.delete, actor, resource_id)
