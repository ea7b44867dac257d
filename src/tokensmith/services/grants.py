"""Grant handling for the token endpoint (RFC 6749 §4.4 client credentials).

Transport-free: the HTTP layer parses the request into plain values and calls here; every
failure is an :class:`~tokensmith.core.errors.OAuthError` carrying its RFC code.
:class:`PersonalTokenExchangeGrant` is RFC 8693 token exchange of a personal access token.
Both authenticate here and issue through :class:`~tokensmith.services.issuance.TokenIssuance`
(policy, owner cap, scope narrowing), the same entry point as the dashboard's Generate Token.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from tokensmith.core import scopes as scope_rules
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.errors import InvalidClient, InvalidRequest, InvalidSubjectToken, InvalidTarget, SlowDown
from tokensmith.core.policies import effective_expiry
from tokensmith.core.records import Credential, Organization
from tokensmith.core.resources import Resource
from tokensmith.services.audit import AuditLog
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.client_assertions import ClientAssertionVerifier
from tokensmith.services.credentials import CredentialService
from tokensmith.services.issuance import TokenIssuance
from tokensmith.services.minting import IssuedToken
from tokensmith.services.personal_tokens import PersonalTokenService
from tokensmith.services.resources import ResourceService
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.credentials import CredentialRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class ClientAuthenticator:
    """Client authentication wrapped in the failed-attempt limits (shared by token,
    introspection and revocation endpoints)."""

    credentials: CredentialService
    limiter: AuthFailureLimiter
    database: Database
    audit: AuditLog
    assertions: ClientAssertionVerifier | None = None

    def authenticate(
        self, client_id: str, client_secret: str, ip: str | None, *, assertion: str | None = None
    ) -> tuple[Credential, Organization]:
        """RFC 6749 §2.3.1 by secret, or RFC 7523 §2.2 by ``assertion`` (``private_key_jwt``;
        ``client_id`` may then be empty: the assertion's ``iss`` names the client)."""
        wait = self.limiter.address_blocked(ip)
        if wait is not None:
            raise SlowDown(wait, detail="address over the failed-authentication limit")
        try:
            if assertion is not None:
                if self.assertions is None:
                    raise InvalidClient(detail="private_key_jwt is not configured")
                return self.assertions.verify(assertion, client_id or None)
            return self.credentials.authenticate(client_id, client_secret)
        except InvalidClient:
            # Nothing here waits on the event loop: an in-process count is memory, a shared one
            # (Redis) was already sent to a worker thread by address_blocked, and the burst's
            # audit event is written in the background.
            crossed = self.limiter.record_failure(client_id, ip)
            if crossed:
                threading.Thread(
                    target=self._record_burst,
                    args=(client_id, ip),
                    name="tokensmith-burst-audit",
                    daemon=True,
                ).start()
            wait = self.limiter.client_blocked(client_id)
            if wait is not None:
                raise SlowDown(wait, detail="client over the failed-authentication limit") from None
            raise

    def _record_burst(self, client_id: str, ip: str | None) -> None:
        """The audit event of a failed-authentication burst (best effort, in a thread of its own)."""
        actor = Actor(method=AuthMethod.SYSTEM, transport=Transport.OAUTH, ip=ip)
        org_id: str | None = None
        try:
            with self.database.transaction() as connection:
                known = CredentialRepository(connection).by_client_id(client_id) if client_id else None
                org_id = known.org_id if known else None
                self.audit.record(
                    connection,
                    actor,
                    "auth.failures_burst",
                    org_id=org_id,
                    target_kind="credential",
                    target_id=client_id[:64] if known else None,
                    details={"client_known": known is not None},
                )
        except Exception:  # noqa: BLE001 - auditing a burst must not turn 401 into 500
            log.warning("could not record a failed-authentication burst in the audit log")


@dataclass(frozen=True, slots=True, eq=False)
class ClientCredentialsGrant:
    """RFC 6749 §4.4: a confidential client exchanges its own credentials for a token.

    ``resource`` (RFC 8707 §2) names the API the token is for; without a registry
    (``resources=None``) any ``resource`` is ``invalid_target``."""

    authenticator: ClientAuthenticator
    issuance: TokenIssuance
    resources: ResourceService | None = None

    def issue(
        self,
        client_id: str,
        client_secret: str,
        scope: str | None,
        ip: str | None,
        *,
        assertion: str | None = None,
        resource: str | None = None,
        jkt: str | None = None,
    ) -> IssuedToken:
        """``jkt``: the key thumbprint of the request's checked DPoP proof (RFC 9449 §5), if any."""
        requested = scope_rules.parse(scope)
        target = resolve_target(self.resources, resource)
        credential, org = self.authenticator.authenticate(client_id, client_secret, ip, assertion=assertion)
        # §3.3: an omitted scope means the credential's default — all of its allowed scopes.
        return self.issuance.for_credential(credential, org, requested, resource=target, jkt=jkt)


def resolve_target(
    resources: ResourceService | None, resource: str | None, audience: str | None = None
) -> Resource | None:
    """The resource a token request names (RFC 8707 §2; RFC 8693 §2.1 ``audience``), or ``None``."""
    if resource is None and audience is None:
        return None
    if resources is None:
        raise InvalidTarget("This server issues tokens only for its own audience.")
    return resources.resolve([resource, audience])


@dataclass(eq=False)
class PersonalTokenExchangeGrant:
    """RFC 8693 token exchange: a personal access token (the subject token) for a short-lived
    access token about its user. Scope ⊆ the personal token's; the token never outlives it."""

    SUBJECT_TOKEN_TYPES = frozenset(
        {"urn:ietf:params:oauth:token-type:access_token", "urn:tokensmith:token-type:personal_token"}
    )

    personal_tokens: PersonalTokenService
    issuance: TokenIssuance
    limiter: AuthFailureLimiter
    clock: Clock
    default_ttl: int = field(kw_only=True)
    resources: ResourceService | None = field(default=None, kw_only=True)

    def issue(
        self,
        subject_token: str,
        subject_token_type: str | None,
        scope: str | None,
        ip: str | None,
        *,
        resource: str | None = None,
        audience: str | None = None,
        jkt: str | None = None,
    ) -> IssuedToken:
        """``resource`` (RFC 8707 §2) and ``audience`` (RFC 8693 §2.1) name the API the token is
        for; given both, they must name the same registered resource (``invalid_target``)."""
        if not subject_token:
            raise InvalidRequest("The subject_token parameter is required.")
        if subject_token_type not in self.SUBJECT_TOKEN_TYPES:
            raise InvalidRequest("subject_token_type must be urn:ietf:params:oauth:token-type:access_token.")
        requested = scope_rules.parse(scope)
        target = resolve_target(self.resources, resource, audience)
        wait = self.limiter.address_blocked(ip)
        if wait is not None:
            raise SlowDown(wait)
        found = self.personal_tokens.authenticate(subject_token, ip)
        if found is None:
            self.limiter.record_failure("", ip)
            # RFC 8693 §2.2.2: a bad subject_token is invalid_request (seed 002 renders invalid_grant).
            raise InvalidSubjectToken("The subject token is invalid, expired or revoked.")
        return self.issuance.for_personal_token(
            user_id=found.user.id,
            org=found.org,
            personal_token_id=found.token.id,
            token_scopes=found.token.scopes,
            requested=requested,
            ttl=self.default_ttl,
            now=self.clock.now(),
            expiry=effective_expiry(found.token, found.org.policy),
            resource=target,
            jkt=jkt,
        )
