"""What a person needs to work with a list of credentials or personal tokens: each token's
status, a search, a status filter and a sort, over a page the owning service returned.

The status of a personal token follows :mod:`tokensmith.core.policies` — the same rules that
decide whether the token still authenticates — so a list never calls a token "active" that the
token endpoint would refuse: *revoked*; *expired* (past its expiry, or unused for longer than
the policy's inactivity limit); *expiring* (it stops working within :data:`EXPIRING_WITHIN`,
the first expiry notice's window); else *active*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tokensmith.core import policies
from tokensmith.core.records import Credential, OrgPolicy, PersonalTokenRecord
from tokensmith.services.expiry_notices import NOTICES

#: A token that stops working this soon is "expiring" (the 7-day expiry notice's window).
EXPIRING_WITHIN = NOTICES[0][2]


class TokenStatus(StrEnum):
    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"


#: How many records a list view reads per page while it reads them all.
LIST_PAGE = 200
#: The status filter's choices: ``current`` (the default) is every token not revoked.
STATUS_FILTERS = ("current", "active", "expiring", "expired", "revoked", "all")
TOKEN_SORTS = ("created", "name", "last_used", "expires")
CREDENTIAL_SORTS = ("created", "name", "last_used")


@dataclass(frozen=True)
class TokenRow:
    token: PersonalTokenRecord
    status: TokenStatus
    #: When it stops working if nothing else happens (expiry or inactivity limit).
    stops_at: datetime | None


def token_status(token: PersonalTokenRecord, policy: OrgPolicy, now: datetime) -> TokenRow:
    stops_at = policies.effective_expiry(token, policy)
    reason = policies.expiry_reason(token, policy, now)
    if reason == "revoked":
        status = TokenStatus.REVOKED
    elif reason is not None:
        status = TokenStatus.EXPIRED
    elif stops_at is not None and stops_at - now <= EXPIRING_WITHIN:
        status = TokenStatus.EXPIRING
    else:
        status = TokenStatus.ACTIVE
    return TokenRow(token, status, stops_at)


def wants_revoked(status_filter: str) -> bool:
    """Whether the service must be asked for revoked tokens too."""
    return status_filter in ("revoked", "all")


def _matches(query: str, *texts: str) -> bool:
    needle = query.strip().casefold()
    return not needle or any(needle in text.casefold() for text in texts)


def _sorted(items: Iterable[Any], sort: str, keys: dict[str, Callable[[Any], Any]]) -> list[Any]:
    key = keys.get(sort, keys["created"])
    return sorted(items, key=key, reverse=sort in ("created", "last_used"))


def _time(value: datetime | None, missing: float) -> float:
    return value.timestamp() if value is not None else missing


def tokens(
    items: Iterable[PersonalTokenRecord],
    policy: OrgPolicy,
    now: datetime,
    *,
    query: str = "",
    status: str = "current",
    sort: str = "created",
) -> list[TokenRow]:
    """``items`` classified, searched (name, description, hint), filtered by status and sorted."""
    rows = [token_status(t, policy, now) for t in items]
    rows = [
        row
        for row in rows
        if _matches(query, row.token.name, row.token.description, row.token.token_hint)
        and (
            status == "all"
            or (status == "current" and row.status is not TokenStatus.REVOKED)
            or row.status.value == status
        )
    ]
    return _sorted(
        rows,
        sort,
        {
            "created": lambda r: r.token.created_at,
            "name": lambda r: r.token.name.casefold(),
            "last_used": lambda r: _time(r.token.last_used_at, float("-inf")),
            "expires": lambda r: _time(r.stops_at, float("inf")),
        },
    )


def credentials(items: Iterable[Credential], *, query: str = "", sort: str = "created") -> list[Credential]:
    """``items`` searched (name, description, client id) and sorted."""
    found = [c for c in items if _matches(query, c.name, c.description, c.client_id)]
    return _sorted(
        found,
        sort,
        {
            "created": lambda c: c.created_at,
            "name": lambda c: c.name.casefold(),
            "last_used": lambda c: _time(c.last_used_at, float("-inf")),
        },
    )
