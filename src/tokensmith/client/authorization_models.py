"""What the management API returns about the apps a person signed in to with the authorization code
flow (``/api/authorized-apps``), read like every other model of :mod:`tokensmith.client.models`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokensmith.client.models import _Model


@dataclass(frozen=True)
class AuthorizedApp(_Model):
    """An app or MCP client the caller signed in to (the authorization code flow): revoking it ends
    its refresh token and every access token it holds."""

    _what = "authorized app"

    id: str
    client_id: str
    client_name: str
    scopes: tuple[str, ...]
    org_id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
