"""A resource: an API access tokens can be issued for (RFC 8707), and the scopes it accepts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tokensmith.wire.record import Record, Scopes


class ResourceOut(Record):
    id: str
    name: str
    uri: str = Field(
        description="The resource indicator (RFC 8707 §2): a token asked for it carries it as aud."
    )
    scopes: Scopes = Field(description="The scopes a token for this resource may carry.")
    builtin: bool = Field(description="Built in (management API, /mcp, platform API): cannot be deleted.")
    created_at: datetime | None = Field(description="When the operator added it; null for a built-in one.")


class CreatedResourceRef(Record):
    """What ``tokensmith resources create --json`` prints (the command-line contract)."""

    id: str
    uri: str
    scopes: Scopes
