"""An audit event: who did what to which object, from where (never a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tokensmith.wire.record import Record


class AuditEventOut(Record):
    id: int
    occurred_at: datetime
    org_id: str | None
    actor_kind: str
    actor_id: str | None
    actor_label: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    target_hint: str | None = Field(description="Public id or prefix hint; never a secret.")
    ip: str | None
    transport: str
    details: dict[str, Any]
