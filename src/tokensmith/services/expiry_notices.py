"""Expiry notices for personal access tokens: one ``personal_token.expiring`` audit event when a
token crosses 7 days and 1 day before its expiry (the hook email or webhook delivery attaches to),
and, once it has stopped working, one ``personal_token.expired`` (its expiry date passed) or
``personal_token.inactivity_expired`` (unused for longer than its organisation's inactivity limit)
— each a webhook event (:mod:`tokensmith.core.webhook_events`). Tokens that lapsed more than
:data:`LAPSE_LOOKBACK` ago (before this notice existed, say) are not announced.

Safe to run from every process at once: each notice is claimed with a compare-and-set on its
column, and the event is written in the claiming transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.records import PersonalTokenRecord
from tokensmith.services.audit import AuditLog, Target
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
                audit.about(
                    connection,
                    actor,
                    "personal_token.expiring",
                    Target.personal_token(token),
                    {
                        "notice": label,
                        "name": token.name,
                        "user_id": token.user_id,
                        "expires_at": token.expires_at.isoformat(),
                    },
                )
                emitted += 1
    return emitted


#: How far back a lapse (expiry or inactivity) is still announced.
LAPSE_LOOKBACK = timedelta(days=7)


def emit_lapse_notices(database: Database, clock: Clock, audit: AuditLog, transport: Transport) -> int:
    """Record the ``personal_token.expired`` and ``personal_token.inactivity_expired`` events due."""
    now = clock.now()
    actor = Actor(method=AuthMethod.SYSTEM, transport=transport)
    emitted = 0
    with database.transaction() as connection:
        repo = PersonalTokenRepository(connection)
        expired = repo.expired_unnotified(now, now - LAPSE_LOOKBACK)
        limits = repo.inactivity_limits()
    due: list[tuple[str, str, dict[str, str]]] = []
    for token in expired:
        assert token.expires_at is not None
        due.append((token.id, "personal_token.expired", {"expires_at": token.expires_at.isoformat()}))
    inactive: list[tuple[PersonalTokenRecord, int]] = []
    for org_id, days in limits:
        cutoff = now - timedelta(days=days)
        with database.transaction() as connection:
            found = PersonalTokenRepository(connection).inactive_unnotified(
                org_id, cutoff, cutoff - LAPSE_LOOKBACK
            )
        inactive.extend((token, days) for token in found)
    tokens = {token.id: token for token in expired} | {token.id: token for token, _ in inactive}
    for token, days in inactive:
        due.append((token.id, "personal_token.inactivity_expired", {"inactivity_days": str(days)}))
    for token_id, action, extra in due:
        token = tokens[token_id]
        column = "notified_expired_at" if action == "personal_token.expired" else "notified_inactive_at"
        with database.transaction() as connection:
            if not PersonalTokenRepository(connection).claim_notice(token.id, column, now):
                continue
            audit.about(
                connection,
                actor,
                action,
                Target.personal_token(token),
                {"name": token.name, "user_id": token.user_id, **extra},
            )
            emitted += 1
    return emitted
