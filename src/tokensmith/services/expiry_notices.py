"""Expiry notices for personal access tokens: one ``personal_token.expiring`` audit event when a
token crosses 7 days and 1 day before its expiry (the hook email or webhook delivery attaches to).

Safe to run from every process at once: each notice is claimed with a compare-and-set on its
column, and the event is written in the claiming transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.services.audit import AuditLog
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.personal_tokens import PersonalTokenRepository

#: The column that remembers each notice, and how long before expiry it is due.
NOTICES: tuple[tuple[str, str, timedelta], ...] = (
    ("7d", "notified_7d_at", timedelta(days=7)),
    ("1d", "notified_1d_at", timedelta(days=1)),
)


def already_inside(expiry: datetime | None, now: datetime, window: timedelta) -> datetime | None:
    """A token born inside a notice window never crosses it: its notice counts as sent now."""
    return now if expiry is not None and expiry - now <= window else None


def emit_expiry_notices(database: Database, clock: Clock, audit: AuditLog, transport: Transport) -> int:
    """Record the notices now due; how many."""
    now = clock.now()
    actor = Actor(method=AuthMethod.SYSTEM, transport=transport)
    emitted = 0
    for label, column, window in NOTICES:
        with database.transaction() as connection:
            due = PersonalTokenRepository(connection).expiring_unnotified(now + window, column, after=now)
        for token in due:
            with database.transaction() as connection:
                if not PersonalTokenRepository(connection).claim_notice(token.id, column, now):
                    continue
                assert token.expires_at is not None
                audit.record(
                    connection,
                    actor,
                    "personal_token.expiring",
                    org_id=token.org_id,
                    target_kind="personal_token",
                    target_id=token.id,
                    target_hint=token.token_hint,
                    details={
                        "notice": label,
                        "name": token.name,
                        "user_id": token.user_id,
                        "expires_at": token.expires_at.isoformat(),
                    },
                )
                emitted += 1
    return emitted
