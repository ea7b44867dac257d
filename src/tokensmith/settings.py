"""The one typed settings object.

Built once (``Settings()`` reads ``TOKENSMITH_*`` environment variables and an optional
``.env``-style file named by ``TOKENSMITH_SETTINGS_FILE``) and passed in; nothing here runs
at import time.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tokensmith.core.scopes import INTROSPECT_ALL_SCOPE, RESOURCES_ADMIN_SCOPE

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
    "webhooks:read": "List the organisation's webhook endpoints and deliveries",
    "webhooks:write": "Create, change, delete and replay the organisation's webhooks",
    "resources:write": "Add and delete the APIs tokens can be issued for (RFC 8707 resources)",
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
        "webhooks:read",
        "webhooks:write",
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
    #: Refresh tokens of the authorization code flow (services/authorization_grants.py).
    refresh_token_prefix: str = "tsr_"

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

    #: private_key_jwt (RFC 7523 §2.2): the algorithms client assertions may be signed with (comma
    #: separated, asymmetric only), and the furthest ``exp`` an assertion may carry, from now.
    client_assertion_algorithms: str = "ES256,EdDSA,RS256,PS256"
    client_assertion_max_lifetime_seconds: int = Field(default=3600, ge=60, le=86400)

    #: Failed client authentications allowed per client ID and per address.
    auth_failures_per_minute: int = Field(default=20, ge=1)

    #: DPoP (RFC 9449): how old a proof's ``iat`` may be, and the clock skew allowed either way.
    #: A proof's ``jti`` is remembered (in process, or in Redis when ``redis_url`` is set) for
    #: as long as its ``iat`` stays acceptable, so a replay inside that window is refused.
    dpop_proof_max_age_seconds: int = Field(default=60, ge=1, le=3600)
    dpop_leeway_seconds: int = Field(default=5, ge=0, le=300)
    #: Server-provided DPoP nonces (RFC 9449 §8): off by default. On, every proof must carry a
    #: nonce from a ``DPoP-Nonce`` header; a nonce is valid for one to two windows of this many
    #: seconds and is derived from the master key, so every process accepts every other's.
    dpop_nonces: bool = False
    dpop_nonce_window_seconds: int = Field(default=300, ge=10, le=86400)

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

    # Metrics (tokensmith.metrics, docs/metrics.md)
    #: Collect Prometheus metrics and serve them on ``GET /metrics``; false: nothing is
    #: counted and /metrics is 404.
    metrics: bool = True
    #: Client addresses (IPs or CIDR networks, comma separated) that may read /metrics; the
    #: address is the one ``trust_forwarded_for`` resolves. Empty: any address (then set
    #: ``metrics_bearer_token``).
    metrics_allowed_addresses: str = "127.0.0.1/32,::1/128"
    #: When set, /metrics also needs ``Authorization: Bearer <this>`` (Prometheus'
    #: ``authorization`` / ``bearer_token_file``).
    metrics_bearer_token: str = Field(default="", repr=False)

    # Issuance (tokensmith.services.issuance_guard)
    #: Token requests a credential may make within one token lifetime before it is reported
    #: (metric and rate-limited audit event) as requesting far more tokens than it needs.
    overissue_threshold: int = Field(default=20, ge=2)

    @field_validator("metrics_allowed_addresses")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Every entry an IP address or a CIDR network, or the server refuses to start."""
        for item in value.split(","):
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)
        return value

    # Webhooks (docs/webhooks.md) and leaked-secret revocation (docs/leak-response.md).
    #: Let webhook endpoints be private, loopback or link-local addresses (tests, a private network).
    webhook_allow_private_addresses: bool = False
    #: Attempts per delivery before it is given up (the first one included).
    webhook_max_attempts: int = Field(default=10, ge=1, le=50)
    #: Exponential backoff between attempts: the first retry waits about this long, doubling up to the cap.
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    #: Failed attempts in a row after which an endpoint is disabled (and its admins told).
    webhook_disable_after_failures: int = Field(default=50, ge=1)
    #: Seconds one delivery may take; and how often each `tokensmith serve` process looks for due ones.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_poll_seconds: float = Field(default=5.0, gt=0)
    #: ``POST /api/credentials/revoke-leaked`` (off: 404), and requests per minute per address.
    leak_revocation_enabled: bool = True
    leak_revocation_per_minute: int = Field(default=30, ge=1)
    # Authorization code flow (OAuth 2.1, docs/authorization-code.md)
    #: Whether anyone may register a public client at ``POST /oauth2/register`` (RFC 7591). Unset:
    #: open in development, closed in production.
    client_registration_open: bool | None = None
    #: Whether a client ID may be the https URL of a Client ID Metadata Document (fetched with SSRF
    #: protection; loopback http only in development).
    client_id_metadata_documents: bool = True
    #: Refresh-token families: seconds from consent until they stop working, whatever their use,
    #: and seconds of disuse after which they stop working.
    refresh_token_lifetime_seconds: int = Field(default=30 * 86400, ge=300)
    refresh_token_idle_seconds: int = Field(default=7 * 86400, ge=300)

    @property
    def registration_open(self) -> bool:
        """:attr:`client_registration_open`, or open exactly in development when unset."""
        if self.client_registration_open is None:
            return not self.is_production
        return self.client_registration_open

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
        for name in MANAGEMENT_SCOPES | {INTROSPECT_ALL_SCOPE, RESOURCES_ADMIN_SCOPE}:
            registry.setdefault(name, DEFAULT_SCOPES[name])
        return registry
