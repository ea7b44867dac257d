"""What every credential use case shares: finding a credential the actor may see or change,
changing one of its settings, and auditing the change as ``credential.<action>``.

:class:`~tokensmith.services.credentials.CredentialService` and
:class:`~tokensmith.services.credential_keys.CredentialKeyService` both build on it, so the
visibility rules and the audit event's shape are written once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from tokensmith.core import ids, permissions
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, Forbidden, NotFound
from tokensmith.core.records import Credential
from tokensmith.services.audit import AuditLog, Target
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.credentials import CredentialRepository


class CredentialAccess:
    _db: Database
    _clock: Clock
    _audit: AuditLog

    def _find(self, repo: CredentialRepository, ref: str) -> Credential | None:
        return repo.by_client_id(ref) if ids.is_client_id(ref) else repo.get(ref)

    def _visible(self, repo: CredentialRepository, actor: Actor, ref: str) -> Credential:
        credential = self._find(repo, ref)
        if credential is None or not permissions.can_see_credential(actor, credential):
            raise NotFound("no such credential")
        return credential

    def _changeable(self, repo: CredentialRepository, actor: Actor, ref: str) -> Credential:
        credential = self._visible(repo, actor, ref)
        if not permissions.can_change_credential(actor, credential):
            raise Forbidden("only organisation owners and admins can change organisation credentials")
        return credential

    def _changeable_using(
        self, repo: CredentialRepository, actor: Actor, ref: str, method: ClientAuthMethod, refusal: str
    ) -> Credential:
        """A credential the actor may change that authenticates with ``method`` (else 400 ``refusal``)."""
        credential = self._changeable(repo, actor, ref)
        if credential.auth_method is not method:
            raise BadRequest(refusal, field="auth_method")
        return credential

    def _set(self, actor: Actor, credential_ref: str, action: str, **values: Any) -> Credential:
        """Set the credential's fields named in ``values`` (a no-op when they already hold them),
        audited as ``credential.<action>`` with ``values`` as its details."""
        permissions.require_scope(actor, "credentials:write")
        with self._db.transaction() as connection:
            repo = CredentialRepository(connection)
            credential = self._changeable(repo, actor, credential_ref)
            if all(getattr(credential, field) == value for field, value in values.items()):
                return credential
            now = self._clock.now()
            repo.change(credential.id, now, **values)
            self._audited(connection, actor, action, credential, credential.name, dict(values))
        return replace(credential, **values, updated_at=now)

    def _audited(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        credential: Credential,
        hint: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit ``credential.<action>`` of ``credential`` (its client ID, and ``hint`` to show)."""
        self._audit.about(
            connection, actor, f"credential.{action}", Target.credential(credential, hint), details
        )
