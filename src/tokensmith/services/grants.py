"""Grant handling for the token endpoint (RFC 6749 §4.4 client credentials).

Transport-free: the HTTP layer parses the request into plain values and calls here; every
failure is an :class:`~tokensmith.core.errors.OAuthError` carrying its RFC code.
Other grants (RFC 8693 token exchange) plug in beside :class:`ClientCredentialsGrant`.
"""

from __future__ import annotations

from tokensmith.core import scopes as scope_rules
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import InvalidClient, InvalidScope, SlowDown
from tokensmith.core.records import Credential, Organization, SubjectKind
from tokensmith.services.audit import AuditLog
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.credentials import CredentialService
from tokensmith.services.minting import Grant, IssuedToken, TokenMinter
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.credentials import CredentialRepository


class ClientAuthenticator:
    """Client authentication wrapped in the failed-attempt limits (shared by token,
    introspection and revocation endpoints)."""

    def __init__(
        self, credentials: CredentialService, limiter: AuthFailureLimiter, database: Database, audit: AuditLog
    ) -> None:
        self._credentials = credentials
        self._limiter = limiter
        self._db = database
        self._audit = audit

    def authenticate(self, client_id: str, client_secret: str, ip: str | None) -> tuple[Credential, Organization]:
        wait = self._limiter.address_blocked(ip)
        if wait is not None:
            raise SlowDown(wait, detail="address over the failed-authentication limit")
        try:
            return self._credentials.authenticate(client_id, client_secret)
        except InvalidClient:
            crossed = self._limiter.record_failure(client_id, ip)
            if crossed:
                self._record_burst(client_id, ip)
            wait = self._limiter.client_blocked(client_id)
            if wait is not None:
                raise SlowDown(wait, detail="client over the failed-authentication limit") from None
            raise

    def _record_burst(self, client_id: str, ip: str | None) -> None:
        actor = Actor(method=AuthMethod.SYSTEM, transport=Transport.OAUTH, ip=ip)
        org_id: str | None = None
        try:
            with self._db.transaction() as connection:
                known = CredentialRepository(connection).by_client_id(client_id) if client_id else None
                org_id = known.org_id if known else None
                self._audit.record(
                    connection, actor, "auth.failures_burst", org_id=org_id, target_kind="credential",
                    target_id=client_id[:64] if known else None,
                    details={"client_known": known is not None},
                )
        except Exception:  # noqa: BLE001 - auditing a burst must not turn 401 into 500
            pass


class ClientCredentialsGrant:
    """RFC 6749 §4.4: a confidential client exchanges its own credentials for a token."""

    def __init__(self, authenticator: ClientAuthenticator, minter: TokenMinter) -> None:
        self._authenticator = authenticator
        self._minter = minter

    def issue(self, client_id: str, client_secret: str, scope: str | None, ip: str | None) -> IssuedToken:
        requested = scope_rules.parse(scope)
        credential, _org = self._authenticator.authenticate(client_id, client_secret, ip)
        # §3.3: an omitted scope means the credential's default — all of its allowed scopes.
        if not requested:
            granted = credential.scopes
        else:
            extra = sorted(requested - credential.scopes)
            if extra:
                raise InvalidScope(f"scope not allowed for this client: {' '.join(extra)}")
            granted = requested
        return self._minter.mint(
            Grant(
                subject=credential.client_id,
                subject_kind=SubjectKind.CLIENT,
                org_id=credential.org_id,
                client_id=credential.client_id,
                scopes=frozenset(granted),
                ttl=credential.token_ttl,
                token_format=credential.token_format,
                credential_id=credential.id,
            )
        )
