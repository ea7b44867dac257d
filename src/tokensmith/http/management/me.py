"""``/api/me``: who the management API sees (no scope needed)."""

from __future__ import annotations

from fastapi import APIRouter

from tokensmith.http.blocking import call_blocking
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.schemas import MeOut
from tokensmith.http.management.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/me", tags=["me"], route_class=StrictJSONRoute)


@router.get("", response_model=MeOut, summary="The caller, the organisation acted in, and the token's scopes")
async def me(actor: ActorDep, services: ServicesDep) -> MeOut:
    assert actor.org_id is not None
    return MeOut.of(actor, await call_blocking(services.database, services.organizations.get, actor.org_id))
