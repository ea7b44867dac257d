"""A person's "Authorized apps": the refresh-token families their consents produced (OAuth 2.1 draft
§4.3), listed in their current organisation and revocable — a revoked family's refresh tokens and
every access token minted from it stop working at once (:func:`revoke_family`, which the grants of
:mod:`tokensmith.services.authorization_grants` also call on code replay and refresh reuse).

Audited as ``authorized_app.revoked`` with the reason (``person``, ``code_replay``, ``refresh_reuse``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from tokensmith.core import permissions
from tokensmith.core.actors import Actor
from tokensmith.core.authorization import RefreshFamily
from tokensmith.core.clock import Clock
from tokensmith.core.errors import NotFound
from tokensmith.services.audit import AuditLog
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.authorization import RefreshFamilyRepository


def revoke_family(
    connection: Connection,
    audit: AuditLog,
    family: tuple[str, str],
    now: datetime,
    reason: str,
    actor: Actor,
) -> None:
    """Revoke ``family`` (its id and organisation) in this transaction; audited once, when it was live."""
    family_id, org_id = family
    if RefreshFamilyRepository(connection).revoke(family_id, now, reason):
        audit.record(
            connection,
            actor,
            "authorized_app.revoked",
            org_id=org_id,
            target_kind="authorized_app",
            target_id=family_id,
            details={"reason": reason},
        )


@dataclass(eq=False)
class AuthorizedApps:
    database: Database
    clock: Clock
    audit: AuditLog

    def list(self, actor: Actor) -> list[RefreshFamily]:
        """The caller's live authorizations in their current organisation (scope ``tokens:read``)."""
        permissions.require_scope(actor, "tokens:read")
        if actor.user_id is None or actor.org_id is None:
            return []
        with self.database.transaction() as connection:
            return RefreshFamilyRepository(connection).for_user(
                actor.user_id, actor.org_id, live_after=self.clock.now()
            )

    def revoke(self, actor: Actor, family_id: str) -> None:
        """The person revokes one of their authorized apps: its refresh and access tokens stop working
        (scope ``tokens:write``; reason ``person``)."""
        permissions.require_scope(actor, "tokens:write")
        with self.database.transaction() as connection:
            family = RefreshFamilyRepository(connection).get(family_id)
            if family is None or family.user_id != actor.user_id or family.org_id != actor.org_id:
                raise NotFound("no such authorized app")
            revoke_family(
                connection, self.audit, (family.id, family.org_id), self.clock.now(), "person", actor
            )
