"""A person's authorized apps (the refresh-token families their consents produced): list them,
revoke one; and the revocation every path shares (a replayed code, a reused refresh token, the
person), audited as ``authorized_app.revoked`` with its reason."""

from __future__ import annotations

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


class AuthorizedApps:
    database: Database
    clock: Clock
    audit: AuditLog

    def _revoke(
        self, connection: Connection, family_id: str, org_id: str, now: datetime, reason: str, actor: Actor
    ) -> None:
        if RefreshFamilyRepository(connection).revoke(family_id, now, reason):
            self.audit.record(
                connection,
                actor,
                "authorized_app.revoked",
                org_id=org_id,
                target_kind="authorized_app",
                target_id=family_id,
                details={"reason": reason},
            )

    def authorized_apps(self, actor: Actor) -> list[RefreshFamily]:
        """The caller's live authorizations in their current organisation (scope ``tokens:read``)."""
        permissions.require_scope(actor, "tokens:read")
        if actor.user_id is None or actor.org_id is None:
            return []
        with self.database.transaction() as connection:
            return RefreshFamilyRepository(connection).for_user(
                actor.user_id, actor.org_id, live_after=self.clock.now()
            )

    def revoke_app(self, actor: Actor, family_id: str) -> None:
        """The person revokes one of their authorized apps: its refresh and access tokens stop working
        (scope ``tokens:write``; audited as ``authorized_app.revoked``, reason ``person``)."""
        permissions.require_scope(actor, "tokens:write")
        with self.database.transaction() as connection:
            family = RefreshFamilyRepository(connection).get(family_id)
            if family is None or family.user_id != actor.user_id or family.org_id != actor.org_id:
                raise NotFound("no such authorized app")
            self._revoke(connection, family.id, family.org_id, self.clock.now(), "person", actor)
