"""Who is acting: the principal every service call is made on behalf of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tokensmith.core.roles import Role


class Transport(StrEnum):
    CLI = "cli"
    API = "api"
    MCP = "mcp"
    DASHBOARD = "dashboard"
    OAUTH = "oauth"


class AuthMethod(StrEnum):
    SYSTEM = "system"  # the operator at the CLI: no ceiling
    CLIENT = "client"  # an OAuth client authenticated by its secret (revocation)
    SESSION = "session"
    PERSONAL_TOKEN = "personal_token"
    ACCESS_TOKEN = "access_token"


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a user in one organisation, or the system operator.

    ``scopes`` is the ceiling of the token the caller presented (``None``: no token
    ceiling, as for a dashboard session or the CLI). ``expires_at`` is when the presented
    token expires, so nothing it creates can outlive it.
    """

    method: AuthMethod
    transport: Transport
    user_id: str | None = None
    email: str | None = None
    org_id: str | None = None
    role: Role | None = None
    scopes: frozenset[str] | None = None
    expires_at: datetime | None = None
    ip: str | None = None
    #: Public id of the token that authenticated the call (personal token id / jti).
    token_id: str | None = None
    #: The OAuth client acting (``AuthMethod.CLIENT``).
    client_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_system(self) -> bool:
        return self.method is AuthMethod.SYSTEM

    @property
    def label(self) -> str:
        if self.email:
            return self.email
        if self.client_id:
            return f"client {self.client_id}"
        return "system" if self.is_system else (self.user_id or "unknown")

    @classmethod
    def system(cls, transport: Transport = Transport.CLI) -> Actor:
        return cls(method=AuthMethod.SYSTEM, transport=transport)

    def allows_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes
