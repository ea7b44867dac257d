"""An authorized app (a person's consent to a public client, and its refresh-token family), and a
registered public client (RFC 7591) as admins see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tokensmith.wire.record import Record, Scopes


class AuthorizedAppOut(Record):
    id: str
    client_id: str = Field(description="The registered client's id, or its metadata document's URL.")
    client_name: str
    scopes: Scopes
    org_id: str
    created_at: datetime = Field(description="When the person consented.")
    last_used_at: datetime = Field(description="The last refresh (or the consent).")
    expires_at: datetime = Field(description="When its refresh tokens stop working, however used.")


class RegisteredClientOut(Record):
    client_id: str
    client_name: str
    redirect_uris: list[str]
    created_at: datetime
