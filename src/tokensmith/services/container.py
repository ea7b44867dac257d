"""Wiring: build every service once from the settings (``build_services``)."""

from __future__ import annotations

from dataclasses import dataclass

from tokensmith.core.clock import Clock, SystemClock
from tokensmith.core.secrets import SecretHasher
from tokensmith.services.api_console import ApiConsole
from tokensmith.services.audit import AuditLog
from tokensmith.services.audit_query import AuditQueryService
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.authentication import BearerAuthenticator
from tokensmith.services.credentials import CredentialService
from tokensmith.services.grants import ClientAuthenticator, ClientCredentialsGrant, PersonalTokenExchangeGrant
from tokensmith.services.introspection import TokenInspector
from tokensmith.services.issuance import TokenIssuance
from tokensmith.services.keyring import KeyRing
from tokensmith.services.master_key import resolve_master_keys
from tokensmith.services.members import MemberService
from tokensmith.services.minting import TokenMinter
from tokensmith.services.org_policies import PolicyService
from tokensmith.services.organizations import OrganizationService
from tokensmith.services.personal_tokens import PersonalTokenService
from tokensmith.services.reveals import RevealService
from tokensmith.services.sessions import SessionService
from tokensmith.services.studio import TokenStudio
from tokensmith.services.usage import UsageRecorder
from tokensmith.settings import Settings
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.migrate import migrate


@dataclass
class Services:
    settings: Settings
    issuer: str
    clock: Clock
    database: Database
    hasher: SecretHasher
    audit: AuditLog
    usage: UsageRecorder
    keyring: KeyRing
    minter: TokenMinter
    issuance: TokenIssuance
    limiter: AuthFailureLimiter
    organizations: OrganizationService
    credentials: CredentialService
    authenticator: ClientAuthenticator
    client_credentials: ClientCredentialsGrant
    inspector: TokenInspector
    personal_tokens: PersonalTokenService
    token_exchange: PersonalTokenExchangeGrant
    bearer: BearerAuthenticator
    scope_registry: dict[str, str]
    members: MemberService
    policies: PolicyService
    audit_query: AuditQueryService
    # The dashboard's services.
    sessions: SessionService
    studio: TokenStudio
    api_console: ApiConsole
    reveals: RevealService

    def close(self) -> None:
        try:
            self.usage.flush()
        finally:
            self.database.dispose()


def resolve_issuer(settings: Settings, default: str = "http://127.0.0.1:8000") -> str:
    """The configured issuer byte for byte, else the served base URL."""
    return settings.issuer or default


def build_services(
    settings: Settings,
    *,
    issuer: str | None = None,
    clock: Clock | None = None,
    run_migrations: bool = True,
) -> Services:
    """Everything the adapters (HTTP, dashboard, MCP, CLI) call, built once."""
    clock = clock or SystemClock()
    issuer = issuer or resolve_issuer(settings)
    master_keys = resolve_master_keys(settings)
    database = Database(
        create_database_engine(
            settings.database_url,
            timeout_seconds=settings.database_timeout_seconds,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        ),
        timeout_seconds=settings.database_timeout_seconds,
        max_abandoned=settings.database_pool_size + settings.database_max_overflow,
    )
    hasher = SecretHasher(master_keys)
    audit = AuditLog(clock)
    usage = UsageRecorder(database)
    registry = settings.scope_registry()
    keyring = KeyRing(
        database,
        clock,
        master_keys,
        algorithm=settings.signing_algorithm,
        publish_delay_seconds=settings.key_publish_delay_seconds,
        refresh_seconds=settings.key_refresh_seconds,
        max_token_ttl=settings.max_token_ttl_seconds,
    )
    if run_migrations:
        # One process at a time migrates and creates the first signing key. If that fails (a wrong
        # master key, an unreachable database), nothing built here is handed out: close the pool.
        try:
            migrate(database.engine, then=keyring.ensure_key)
        except BaseException:
            database.dispose()
            raise
    minter = TokenMinter(
        database,
        clock,
        keyring,
        hasher,
        issuer=issuer,
        audience=settings.audience or issuer,
        opaque_prefix=settings.opaque_token_prefix,
    )
    limiter = AuthFailureLimiter(settings.auth_failures_per_minute, settings.redis_url)
    credentials = CredentialService(
        database,
        clock,
        hasher,
        audit,
        usage,
        secret_prefix=settings.client_secret_prefix,
        scope_registry=registry,
        default_ttl=settings.default_token_ttl_seconds,
        max_ttl=settings.max_token_ttl_seconds,
    )
    authenticator = ClientAuthenticator(credentials, limiter, database, audit)
    personal_tokens = PersonalTokenService(
        database,
        clock,
        hasher,
        usage,
        audit,
        prefix=settings.personal_token_prefix,
        scope_registry=registry,
    )
    inspector = TokenInspector(
        database,
        clock,
        minter,
        hasher,
        audit,
        personal_tokens,
        opaque_prefix=settings.opaque_token_prefix,
        personal_prefix=settings.personal_token_prefix,
    )
    members = MemberService(database, clock, audit)
    issuance = TokenIssuance(database, minter, audit)
    return Services(
        settings=settings,
        issuer=issuer,
        clock=clock,
        database=database,
        hasher=hasher,
        audit=audit,
        usage=usage,
        keyring=keyring,
        minter=minter,
        issuance=issuance,
        limiter=limiter,
        organizations=OrganizationService(database, clock, audit, members),
        credentials=credentials,
        authenticator=authenticator,
        client_credentials=ClientCredentialsGrant(authenticator, issuance),
        inspector=inspector,
        personal_tokens=personal_tokens,
        token_exchange=PersonalTokenExchangeGrant(
            personal_tokens, issuance, limiter, clock, default_ttl=settings.default_token_ttl_seconds
        ),
        bearer=BearerAuthenticator(
            database,
            minter,
            personal_tokens,
            limiter,
            clock=clock,
            hasher=hasher,
            opaque_prefix=settings.opaque_token_prefix,
        ),
        scope_registry=registry,
        members=members,
        policies=PolicyService(database, audit),
        audit_query=AuditQueryService(database),
        sessions=SessionService(
            database, clock, hasher, audit, limiter, ttl_seconds=settings.session_ttl_seconds
        ),
        studio=TokenStudio(credentials, issuance),
        api_console=ApiConsole([issuer, *settings.test_call_allowed_origins.split(",")]),
        reveals=RevealService(database, clock, master_keys),
    )
