"""Wiring: build every service once from the settings (``build_services``)."""

from __future__ import annotations

from dataclasses import dataclass

from tokensmith.core.authorization import RefreshLifetimes
from tokensmith.core.client_keys import parse_algorithms
from tokensmith.core.clock import Clock, SystemClock
from tokensmith.core.secrets import SecretHasher
from tokensmith.metrics import NO_METRICS, Metrics
from tokensmith.services.api_console import ApiConsole
from tokensmith.services.audit import AuditLog
from tokensmith.services.audit_query import AuditQueryService
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.authentication import BearerAuthenticator
from tokensmith.services.authorization import AuthorizationService
from tokensmith.services.authorization_grants import AuthorizationGrants
from tokensmith.services.authorized_apps import AuthorizedApps
from tokensmith.services.client_assertions import ClientAssertionVerifier, build_client_assertions
from tokensmith.services.client_metadata_documents import ClientDirectory, MetadataDocuments
from tokensmith.services.client_registration import ClientRegistration
from tokensmith.services.credential_keys import CredentialKeyService
from tokensmith.services.credentials import CredentialService
from tokensmith.services.dpop import DPoPValidator, build_dpop_validator
from tokensmith.services.grants import ClientAuthenticator, ClientCredentialsGrant, PersonalTokenExchangeGrant
from tokensmith.services.introspection import TokenInspector
from tokensmith.services.issuance import TokenIssuance
from tokensmith.services.issuance_counts import IssuanceCounter
from tokensmith.services.issuance_quota import IssuanceQuota
from tokensmith.services.keyring import KeyRing
from tokensmith.services.leak_response import LeakResponder
from tokensmith.services.master_key import resolve_master_keys
from tokensmith.services.members import MemberService
from tokensmith.services.minting import TokenMinter
from tokensmith.services.org_policies import PolicyService
from tokensmith.services.organizations import OrganizationService
from tokensmith.services.overissue import OverissueWatch
from tokensmith.services.personal_tokens import PersonalTokenService
from tokensmith.services.resources import ResourceService, builtin_resources
from tokensmith.services.reveals import RevealService
from tokensmith.services.sessions import SessionService
from tokensmith.services.studio import TokenStudio
from tokensmith.services.token_reuse import TokenReuse
from tokensmith.services.usage import UsageRecorder
from tokensmith.services.webhook_delivery import RetryPolicy, WebhookDeliverer
from tokensmith.services.webhook_outbox import WebhookOutbox
from tokensmith.services.webhook_secrets import WebhookSecretBox
from tokensmith.services.webhooks import WebhookService
from tokensmith.settings import MANAGEMENT_SCOPES, Settings
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
    # Webhooks (services/webhooks.py, webhook_delivery.py).
    webhooks: WebhookService
    webhook_deliverer: WebhookDeliverer
    # Leaked-secret revocation (services/leak_response.py).
    leaks: LeakResponder
    #: The APIs tokens can be issued for (RFC 8707).
    resources: ResourceService
    # The authorization code flow (OAuth 2.1): registration, the authorization endpoint, its grants.
    client_registration: ClientRegistration
    authorization: AuthorizationService
    authorization_grants: AuthorizationGrants
    #: A person's authorized apps (the families of refresh tokens their consents produced).
    authorized_apps: AuthorizedApps
    client_documents: MetadataDocuments
    #: RFC 9449 DPoP proofs, for the token endpoint and Tokensmith's own protected resources.
    dpop: DPoPValidator
    #: Prometheus metrics (:mod:`tokensmith.metrics`); :data:`NO_METRICS` when switched off.
    metrics: Metrics = NO_METRICS
    #: private_key_jwt (RFC 7523 §2.2): assertion checks, and the keys of key-based credentials.
    client_assertions: ClientAssertionVerifier | None = None
    credential_keys: CredentialKeyService | None = None

    def close(self) -> None:
        try:
            self.usage.flush()
        finally:
            self.dpop.close()
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
    metrics = Metrics.create() if settings.metrics else NO_METRICS
    database.observer = metrics
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
    key_algorithms = parse_algorithms(settings.client_assertion_algorithms)
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
        key_algorithms=key_algorithms,
        require_https_jwks_uri=settings.is_production,
    )
    client_assertions = build_client_assertions(settings, issuer, database, clock, usage, key_algorithms)
    authenticator = ClientAuthenticator(credentials, limiter, database, audit, client_assertions)
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
    counter = IssuanceCounter(settings.redis_url)
    issuance = TokenIssuance(
        database,
        minter,
        audit,
        quota=IssuanceQuota(counter),
        reuse=TokenReuse(database, clock, hasher, audience=minter.audience, metrics=metrics),
        overissue=OverissueWatch(
            counter, database, audit, threshold=settings.overissue_threshold, metrics=metrics
        ),
    )
    audit.observe(WebhookOutbox(clock))
    webhooks = WebhookService(
        database,
        clock,
        audit,
        WebhookSecretBox(master_keys),
        allow_private_addresses=settings.webhook_allow_private_addresses,
    )
    webhook_deliverer = WebhookDeliverer(
        database,
        clock,
        audit,
        webhooks,
        RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            base_seconds=settings.webhook_retry_base_seconds,
            max_seconds=settings.webhook_retry_max_seconds,
            disable_after_failures=settings.webhook_disable_after_failures,
        ),
        timeout_seconds=settings.webhook_timeout_seconds,
        allow_private_addresses=settings.webhook_allow_private_addresses,
    )
    resources = ResourceService(
        database,
        clock,
        audit,
        builtins=builtin_resources(issuer, minter.audience, registry, MANAGEMENT_SCOPES),
        scope_registry=registry,
    )
    client_registration = ClientRegistration(database, clock, audit, registry, settings.registration_open)
    client_documents = MetadataDocuments(
        registry, clock, development=not settings.is_production, enabled=settings.client_id_metadata_documents
    )
    public_clients = ClientDirectory(client_registration.get, client_documents).get
    dpop = build_dpop_validator(settings, clock, master_keys[0])
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
        client_credentials=ClientCredentialsGrant(authenticator, issuance, resources),
        inspector=inspector,
        personal_tokens=personal_tokens,
        token_exchange=PersonalTokenExchangeGrant(
            personal_tokens,
            issuance,
            limiter,
            clock,
            default_ttl=settings.default_token_ttl_seconds,
            resources=resources,
        ),
        bearer=BearerAuthenticator(
            database,
            minter,
            personal_tokens,
            limiter,
            clock=clock,
            hasher=hasher,
            opaque_prefix=settings.opaque_token_prefix,
            metrics=metrics,
            audiences=resources.accepted_audiences(),
            dpop=dpop,
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
        metrics=metrics,
        webhooks=webhooks,
        webhook_deliverer=webhook_deliverer,
        leaks=LeakResponder(
            database,
            clock,
            hasher,
            audit,
            client_secret_prefix=settings.client_secret_prefix,
            personal_token_prefix=settings.personal_token_prefix,
            opaque_token_prefix=settings.opaque_token_prefix,
        ),
        client_assertions=client_assertions,
        credential_keys=CredentialKeyService(database, clock, audit, algorithms=key_algorithms),
        resources=resources,
        client_registration=client_registration,
        authorization=AuthorizationService(
            database, clock, hasher, audit, public_clients, registry, issuer, resources
        ),
        authorization_grants=AuthorizationGrants(
            database,
            clock,
            hasher,
            audit,
            public_clients,
            issuance,
            lifetimes=RefreshLifetimes(
                settings.refresh_token_lifetime_seconds, settings.refresh_token_idle_seconds
            ),
            refresh_prefix=settings.refresh_token_prefix,
            access_ttl=settings.default_token_ttl_seconds,
            resources=resources,
        ),
        authorized_apps=AuthorizedApps(database, clock, audit),
        client_documents=client_documents,
        dpop=dpop,
    )
