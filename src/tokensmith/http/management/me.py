"""``/api/me``: who the management API sees (no scope needed)."""

from __future__ import annotations

from fastapi import APIRouter

from tokensmith.core.errors import Unauthenticated
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.schemas import MeOut
from tokensmith.http.management.strict_json import StrictJSONRoute
from tokensmith.web.blocking import call_blocking

router = APIRouter(prefix="/api/me", tags=["me"], route_class=StrictJSONRoute)


@router.get("", response_model=MeOut, summary="The caller, the organisation acted in, and the token's scopes")
async def me(actor: ActorDep, services: ServicesDep) -> MeOut:
    if actor.org_id is None:
        # A session of a user who belongs to no organisation any more (RFC 9457 problem, not a 500).
        raise Unauthenticated("this session acts in no organisation; sign in again", code="unauthenticated")
    return MeOut.of(actor, await call_blocking(services.database, services.organizations.get, actor.org_id))
