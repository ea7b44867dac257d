"""``/api/me``: who the management API sees (no scope needed) — a user, or a client.

A user's answer (a personal token, a user's access token, a dashboard session) names the user,
the organisation acted in, the role and the token's scopes. A client's access token is
described too (``subject_type: client``): the credential, its kind, organisation, owner and the
token's scopes. Every other management operation still refuses a client's token.
"""

from __future__ import annotations

from tokensmith.core.actors import Actor
from tokensmith.core.errors import Unauthenticated
from tokensmith.http.management.area import area_router
from tokensmith.http.management.auth import CallerDep, ServicesDep
from tokensmith.services.authentication import ClientCaller
from tokensmith.services.container import Services
from tokensmith.web.blocking import call_blocking
from tokensmith.wire.me import AnyMeOut, ClientMeOut, MeOut

router = area_router("me", "/api/me")


@router.get(
    "",
    response_model=AnyMeOut,
    summary="The caller (a user or a client), the organisation acted in, and the token's scopes",
)
async def me(caller: CallerDep, services: ServicesDep) -> MeOut | ClientMeOut:
    """A user (`subject_type: user`): a personal token, a user's access token or a dashboard
    session. A client (`subject_type: client`): an access token from the client credentials grant,
    JWT or opaque — the only operation that accepts one."""
    if isinstance(caller, ClientCaller):
        return ClientMeOut.of(caller)
    return await _user(caller, services)


async def _user(actor: Actor, services: Services) -> MeOut:
    if actor.org_id is None:
        # A session of a user who belongs to no organisation any more (RFC 9457 problem, not a 500).
        raise Unauthenticated("this session acts in no organisation; sign in again", code="unauthenticated")
    return MeOut.of(actor, await call_blocking(services.database, services.organizations.get, actor.org_id))
