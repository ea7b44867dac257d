"""The webhook events Tokensmith sends, and the retry schedule of their deliveries (pure rules).

Each event is a Standard Webhooks message (https://www.standardwebhooks.com/, "Payload
structure"): ``{"type", "timestamp", "data"}``. Events are derived from audit events — the
change and its audit record are written in one transaction, and so is the delivery queued for
it — so an event is sent exactly when the change it reports committed. :func:`event_type_of`
says which audit events are webhook events.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

PERSONAL_TOKEN_EXPIRING_7D = "personal_token.expiring_7d"
PERSONAL_TOKEN_EXPIRING_1D = "personal_token.expiring_1d"
PERSONAL_TOKEN_EXPIRED = "personal_token.expired"
PERSONAL_TOKEN_INACTIVITY_EXPIRED = "personal_token.inactivity_expired"
CREDENTIAL_CREATED = "credential.created"
CREDENTIAL_REGENERATED = "credential.regenerated"
CREDENTIAL_DELETED = "credential.deleted"
TOKEN_REVOKED = "token.revoked"
LEAKED_SECRET_REVOKED = "secret.leak_revoked"
MEMBER_ROLE_CHANGED = "member.role_changed"

#: Every event type an endpoint may subscribe to, with what it reports.
EVENT_TYPES: dict[str, str] = {
    PERSONAL_TOKEN_EXPIRING_7D: "A personal access token expires in 7 days",
    PERSONAL_TOKEN_EXPIRING_1D: "A personal access token expires in 1 day",
    PERSONAL_TOKEN_EXPIRED: "A personal access token expired",
    PERSONAL_TOKEN_INACTIVITY_EXPIRED: "A personal access token stopped working after going unused",
    CREDENTIAL_CREATED: "An API credential was created",
    CREDENTIAL_REGENERATED: "An API credential's secret was regenerated",
    CREDENTIAL_DELETED: "An API credential was deleted",
    TOKEN_REVOKED: "A personal access token or an access token was revoked",
    LEAKED_SECRET_REVOKED: "A secret reported as leaked was revoked",
    MEMBER_ROLE_CHANGED: "A member's role changed",
}

#: Audit action → webhook event type (personal_token.expiring is split by its notice).
_BY_ACTION: dict[str, str] = {
    "personal_token.expired": PERSONAL_TOKEN_EXPIRED,
    "personal_token.inactivity_expired": PERSONAL_TOKEN_INACTIVITY_EXPIRED,
    "credential.created": CREDENTIAL_CREATED,
    "credential.secret_regenerated": CREDENTIAL_REGENERATED,
    "credential.deleted": CREDENTIAL_DELETED,
    "personal_token.revoked": TOKEN_REVOKED,
    "access_token.revoked": TOKEN_REVOKED,
    "secret.leak_revoked": LEAKED_SECRET_REVOKED,
    "member.role_changed": MEMBER_ROLE_CHANGED,
}
_EXPIRING = {"7d": PERSONAL_TOKEN_EXPIRING_7D, "1d": PERSONAL_TOKEN_EXPIRING_1D}


def event_type_of(action: str, details: Mapping[str, Any]) -> str | None:
    """The webhook event an audit event is, or ``None`` when it is none."""
    if action == "personal_token.expiring":
        notice = details.get("notice")
        return _EXPIRING.get(notice) if isinstance(notice, str) else None
    return _BY_ACTION.get(action)


def parse_event_types(raw: str | Sequence[str]) -> list[str]:
    """Event types, space separated or a list, deduplicated and sorted; unknown ones raise ValueError."""
    items = raw.split() if isinstance(raw, str) else [item.strip() for item in raw]
    chosen = sorted({item for item in items if item})
    if not chosen:
        raise ValueError("choose at least one event")
    unknown = [item for item in chosen if item not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event(s): {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}")
    return chosen


def retry_delay(
    attempt: int, *, base_seconds: float, max_seconds: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first): exponential
    backoff, ``base · 2^(attempt−1)`` capped at ``max_seconds``, with "equal jitter" (a uniform
    draw in its upper half) so endpoints that failed together do not retry in lockstep."""
    ceiling = float(min(max_seconds, base_seconds * 2.0 ** min(max(attempt - 1, 0), 32)))
    return ceiling / 2 + float(rand()) * ceiling / 2
