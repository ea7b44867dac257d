"""``/api/audit``: the organisation's audit log, newest first (owners/admins, ``audit:read``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from tokensmith.http.management.area import area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.pagination import SAFE_TEXT, PageDep
from tokensmith.http.management.routing import paged
from tokensmith.http.management.schemas import UtcDatetime
from tokensmith.services.audit_query import AuditFilters
from tokensmith.wire.audit import AuditEventOut
from tokensmith.wire.page import Page

router = area_router("audit", "/api/audit")
Text = Annotated[str | None, Query(max_length=200, pattern=SAFE_TEXT)]


@router.get("", response_model=Page[AuditEventOut], summary="Audit events, newest first")
async def list_events(
    actor: ActorDep,
    services: ServicesDep,
    page: PageDep,
    action: Annotated[
        str | None, Query(max_length=64, pattern=SAFE_TEXT, description="Exact action.")
    ] = None,
    action_prefix: Annotated[
        str | None,
        Query(max_length=64, pattern=SAFE_TEXT, description="Actions starting with this (literally)."),
    ] = None,
    actor_id: Annotated[str | None, Query(max_length=64, pattern=SAFE_TEXT)] = None,
    target_id: Annotated[str | None, Query(max_length=64, pattern=SAFE_TEXT)] = None,
    target: Annotated[
        str | None,
        Query(max_length=200, pattern=SAFE_TEXT, description="Target hints containing this (literally)."),
    ] = None,
    since: Annotated[UtcDatetime | None, Query(description="RFC 3339, inclusive.")] = None,
    until: Annotated[UtcDatetime | None, Query(description="RFC 3339, exclusive.")] = None,
) -> Page[AuditEventOut]:
    filters = AuditFilters(
        action=action,
        action_prefix=action_prefix,
        actor_id=actor_id,
        target_id=target_id,
        target_contains=target,
        since=since,
        until=until,
    )
    events = services.audit_query.list
    return await paged(services, AuditEventOut.of, events, actor, page, org_id=actor.org_id, filters=filters)
