"""The one typed settings object.

Built once (``Settings()`` reads ``TOKENSMITH_*`` environment variables and an optional
``.env``-style file named by ``TOKENSMITH_SETTINGS_FILE``) and passed in; nothing here runs
at import time.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tokensmith.core.scopes import INTROSPECT_ALL_SCOPE

#: The scopes a deployment offers when ``TOKENSMITH_SCOPES`` is not set: seed 000's
#: ``api/access``, seed 001's resource scopes and Tokensmith's own management scopes.
DEFAULT_SCOPES: dict[str, str] = {
    "api/access": "Call the platform's API",
    "project:read": "Read projects",
    "project:write": "Create and change projects",
    "voice:read": "Read voices",
    "members:read": "Read organisation members",
    "members:write": "Add, change and remove organisation members",
    "tokens:read": "List your personal access tokens",
    "tokens:write": "Create, edit and revoke your personal access tokens",
    "credentials:read": "List API credentials",
    "credentials:write": "Create, regenerate and delete API credentials",
    "audit:read": "Read the organisation's audit log",
    "tokens:introspect": "Introspect tokens of every organisation (a platform's resource server)",
}

MANAGEMENT_SCOPES: frozenset[str] = frozenset(
    {
        "tokens:read",
        "tokens:write",
        "credentials:read",
        "credentials:write",
        "members:read",
        "members:write",
        "audit:read",
    }
)

Algorithm = Literal["ES256", "EdDSA", "RS256"]


class Settings(BaseSettings):
    """Every setting Tokensmith reads; environment variables are ``TOKENSMITH_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="TOKENSMITH_",
        env_file=os.environ.get("TOKENSMITH_SETTINGS_FILE"),
        extra="ignore",
    )

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./tokensmith.db"
    # Database timeouts
    #: The bound on every database wait, in seconds: connecting, a pool checkout, one
    #: statement or lock wait (server side), SQLite's busy wait, and the deadline of each
    #: request's blocking call, after which it answers 503 with ``Retry-After``.
    database_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    #: PostgreSQL connections per process: kept open, and extra ones for bursts.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=20, ge=0)
    #: The ``iss`` of every token and the discovery document's ``issuer``. Empty means
    #: "the base URL the server is served on" (``http://HOST:PORT``).
    issuer: str = ""
    #: Master key: keys the secret hashes and encrypts signing keys. Any high-entropy
    #: string; in development one is created in ``secret_key_file`` when unset.
    #: Kept out of ``repr`` (and so out of logs and tracebacks that print the settings); the
    #: services keep only subkeys derived from it (``SecretHasher``, ``KeyEncryptor``).
    secret_key: str = Field(default="", repr=False)
    #: Retired master keys, comma separated, still accepted for hashes and decryption.
    old_secret_keys: str = Field(default="", repr=False)
    secret_key_file: str = ".tokensmith-secret-key"
    redis_url: str = ""

    #: The scope registry: ``name=description`` pairs separated by commas or newlines,
    #: or plain names. Empty means :data:`DEFAULT_SCOPES`.
    scopes: str = ""

    client_secret_prefix: str = "tss_"
    personal_token_prefix: str = "tsp_"
    opaque_token_prefix: str = "tsa_"

    signing_algorithm: Algorithm = "ES256"
    #: How long a rotated-in key is published before it signs (must exceed verifiers'
    #: JWKS cache); and how often a process re-reads the key table.
    key_publish_delay_seconds: int = Field(default=600, ge=0)
    key_refresh_seconds: int = Field(default=30, ge=1)

    default_token_ttl_seconds: int = Field(default=3600, ge=60)
    max_token_ttl_seconds: int = Field(default=86400, ge=60)
    #: The ``aud`` of access tokens: the platform's API identifier.
    audience: str = ""

    # Vendor dialect routes (seeds 002, 003, 004); on by default.
    dialect_oauth_form: bool = True  # POST /api/oauth/token
    dialect_v0_login: bool = True  # POST /api/v0/login
    dialect_v1_token: bool = True  # POST /api/v1/token

    max_body_bytes: int = Field(default=16 * 1024, ge=1024)
    # Connection limits: `tokensmith serve` enforces them per process (tokensmith.http.connection_limits
    # for headers, deadlines and connections; tokensmith.http.body_limit for bodies on every route).
    #: Request line plus header fields, in bytes; a larger head is answered 431 and the connection closed.
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    #: Seconds a request head may take to arrive, counted from the connection opening or the previous
    #: response; a late head is answered 408 and the connection closed (slowloris).
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Seconds a request body may take to arrive after its head; else 408 and the connection is closed.
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Seconds an idle connection (before its first request or between requests) stays open.
    keep_alive_timeout_seconds: int = Field(default=5, ge=1)
    #: Connections served at once per process; requests on any beyond it are answered 503.
    max_connections: int = Field(default=1000, ge=1)
    #: Body caps (bytes) before anything is read or authenticated, answered 413: the management API
    #: and /mcp, and the dashboard's forms. The OAuth endpoints use max_body_bytes.
    max_api_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_form_body_bytes: int = Field(default=256 * 1024, ge=1024)
    #: On SIGTERM: seconds requests in flight get to finish before they are cancelled.
    shutdown_grace_seconds: int = Field(default=30, ge=0)

    #: Failed client authentications allowed per client ID and per address.
    auth_failures_per_minute: int = Field(default=20, ge=1)

    #: Log one line per request (method, path without query, status, duration). Off by
    #: default: it costs the token endpoint ~15% and a load balancer usually logs already.
    access_log: bool = False

    #: Behind a trusted proxy, take the client address from X-Forwarded-For: the entry the
    #: trusted proxies appended (see ``forwarded_hops``), never one the client could write.
    trust_forwarded_for: bool = False
    #: How many trusted proxies append to X-Forwarded-For in front of Tokensmith (1: the
    #: right-most entry is the client address). A header with fewer entries is ignored.
    forwarded_hops: int = Field(default=1, ge=1, le=16)

    #: Dashboard sessions: lifetime of a signed-in session (server-side, absolute).
    session_ttl_seconds: int = Field(default=12 * 3600, ge=300)
    #: Dashboard "Test API Call": origins (``scheme://host[:port]``, comma separated) it may
    #: call besides this deployment's own issuer origin; nothing else is ever requested.
    test_call_allowed_origins: str = ""
    #: The URL "Test API Call" proposes first (empty: ``{issuer}/api/me``).
    test_call_default_url: str = ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def scope_registry(self) -> dict[str, str]:
        """Parse :attr:`scopes` into ``{name: description}``."""
        if not self.scopes.strip():
            return dict(DEFAULT_SCOPES)
        registry: dict[str, str] = {}
        for item in self.scopes.replace("\n", ",").split(","):
            item = item.strip()
            if not item:
                continue
            name, _, description = item.partition("=")
            registry[name.strip()] = description.strip() or DEFAULT_SCOPES.get(name.strip(), name.strip())
        for name in MANAGEMENT_SCOPES | {INTROSPECT_ALL_SCOPE}:
            registry.setdefault(name, DEFAULT_SCOPES[name])
        return registry
