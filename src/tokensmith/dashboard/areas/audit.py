"""The organisation's audit log (owners and admins), filtered by GET query parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.core.errors import BadRequest
from tokensmith.dashboard.areas.members import org_id
from tokensmith.dashboard.pages import Page, PageRoute, get
from tokensmith.services.audit_query import AuditFilters


def _parse_day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD)") from None


def audit_page(page: Page) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "read the audit log")
    values = {name: page.query(name).strip() for name in ("action", "actor", "target", "since", "until")}
    filters = AuditFilters(
        action_prefix=values["action"] or None,
        actor_id=values["actor"] or None,
        target_contains=values["target"] or None,
        since=_parse_day(values["since"], "since"),
        until=_parse_day(values["until"], "until"),
    )
    result = page.services.audit_query.list(
        actor, org_id=org_id(page), filters=filters, cursor=page.query("cursor") or None, limit=25
    )
    query = {k: v for k, v in values.items() if v}
    return page.render(
        "audit.html",
        events=result.items,
        next_cursor=result.next_cursor,
        filters=values,
        query=query,
        json=json,
    )


ROUTES: list[PageRoute] = [get("/org/audit", audit_page)]
