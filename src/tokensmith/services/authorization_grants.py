"""The token endpoint's half of the authorization code flow: ``authorization_code`` and
``refresh_token`` grants for public clients (OAuth 2.1 draft §4.1.3, §4.3; RFC 6749 §4.1.3, §6).

* **Code exchange.** A public client sends its ``client_id`` (no secret, OAuth 2.1 draft §2.4), the
  code, the same ``redirect_uri`` and the PKCE ``code_verifier`` (RFC 7636 §4.5). The code is
  claimed by a conditional update before anything else is compared, so it works once whatever
  happens; a code presented again is replay, and everything issued from it — its refresh-token
  family and every access token minted from that family — is revoked (RFC 6749 §4.1.2, OAuth 2.1
  draft §4.1.3), then the answer is ``invalid_grant``.
* **Refresh.** Refresh tokens are ``<prefix><random><checksum>`` (:mod:`tokensmith.core.secrets`,
  prefix ``TOKENSMITH_REFRESH_TOKEN_PREFIX``) stored as keyed hashes, rotated on every use (OAuth
  2.1 draft §4.3.1). A rotated one presented again is reuse: the whole family is revoked (§7.4.2).
  A family dies ``refresh_token_lifetime_seconds`` after consent (fixed at creation) and after
  ``refresh_token_idle_seconds`` unused (at each refresh): :func:`tokensmith.core.policies.refresh_lifetimes`.
* **DPoP.** A code exchanged with a DPoP proof binds the family to the proof's key (RFC 9449 §5:
  refresh tokens of public clients MUST be bound): a refresh without a proof is ``invalid_dpop_proof``,
  with another key ``invalid_grant``, checked before the token is spent (a copy cannot burn it).
* **Scopes.** Every token carries the consented scopes ∩ what the person's *current* role may grant
  (:func:`tokensmith.core.delegation.grantable`); a person who left the organisation gets nothing,
  nor a client of a kind its policy now refuses (:func:`tokensmith.core.policies.client_kind_refusal`).

Every state change is audited: ``authorized_app.created`` (a code exchanged), ``authorized_app.refreshed``,
``authorized_app.revoked`` (:func:`tokensmith.services.authorized_apps.revoke_family`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.engine import Connection

from tokensmith.core import delegation, pkce
from tokensmith.core import scopes as scope_rules
from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.authorization import (
    REFRESH_FAILED,
    AuthorizationCode,
    PublicClient,
    RefreshFamily,
    RefreshLifetimes,
    check_binding,
    family_dead_reason,
    family_expires_at,
)
from tokensmith.core.clock import Clock
from tokensmith.core.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    OAuthError,
)
from tokensmith.core.policies import client_kind_refusal, refresh_lifetimes
from tokensmith.core.records import Organization
from tokensmith.core.resources import narrow_to_resource, resource_within
from tokensmith.services.audit import AuditLog
from tokensmith.services.authorization import CODE_PREFIX, ClientLookup
from tokensmith.services.authorized_apps import revoke_family
from tokensmith.services.issuance import TokenIssuance
from tokensmith.services.minting import IssuedToken
from tokensmith.services.resources import ResourceService
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.authorization import AuthorizationCodeRepository, RefreshFamilyRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository

GRANT_FAILED = "The authorization code is invalid, expired or already used."


def _actor(client_id: str, ip: str | None, user_id: str | None = None) -> Actor:
    return Actor(
        method=AuthMethod.CLIENT, transport=Transport.OAUTH, client_id=client_id[:64], user_id=user_id, ip=ip
    )


@contextmanager
def _kept_when_refused(database: Database) -> Iterator[Connection]:
    """A transaction that commits before a refusal (an :class:`OAuthError`) raised in it goes on:
    a code or refresh token once claimed stays spent, and a family revoked for its replay stays
    revoked (OAuth 2.1 draft §4.1.3, §4.3.1)."""
    refusal: OAuthError | None = None
    with database.transaction() as connection:
        try:
            yield connection
        except OAuthError as exc:
            refusal = exc
    if refusal is not None:
        raise refusal


@dataclass(eq=False)
class AuthorizationGrants:
    database: Database
    clock: Clock
    hasher: secret_format.SecretHasher
    audit: AuditLog
    clients: ClientLookup
    issuance: TokenIssuance
    lifetimes: RefreshLifetimes = field(kw_only=True)
    refresh_prefix: str = field(kw_only=True)
    access_ttl: int = field(kw_only=True)
    #: The registry that turns a granted ``resource`` into the token's ``aud`` (RFC 8707 §2);
    #: ``None``: tokens carry the default audience.
    resources: ResourceService | None = field(default=None, kw_only=True)

    # -- grant_type=authorization_code ----------------------------------------------------------
    def exchange_code(
        self,
        client_id: str | None,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
        resource: str | None,
        ip: str | None,
        *,
        jkt: str | None = None,
    ) -> IssuedToken:
        """OAuth 2.1 draft §4.1.3: a code, its verifier and redirect URI for tokens; ``jkt``: the
        key of the request's checked DPoP proof (RFC 9449 §5), which the access token is bound to."""
        if not client_id:
            raise InvalidRequest("client_id is required for a public client.")
        if not code:
            raise InvalidRequest("The code parameter is required.")
        if not redirect_uri:
            raise InvalidRequest("The redirect_uri parameter is required.")
        if not code_verifier:
            raise InvalidRequest("code_verifier is required (PKCE, RFC 7636 §4.5).")
        client = self._known_client(client_id)
        if not secret_format.is_well_formed(code, CODE_PREFIX):
            raise InvalidGrant(GRANT_FAILED)
        now = self.clock.now()
        with _kept_when_refused(self.database) as connection:
            codes = AuthorizationCodeRepository(connection)
            found = codes.by_hashes(self.hasher.candidates(code))
            if found is None or found.client_id != client_id:
                raise InvalidGrant(GRANT_FAILED)
            if not codes.claim(found.code_hash, now):
                self._code_replayed(connection, found, now, ip)
                raise InvalidGrant(GRANT_FAILED, detail="authorization code replayed")
            # From here the claim commits whatever is refused: the code is spent.
            if now >= found.expires_at:
                raise InvalidGrant(GRANT_FAILED, detail="authorization code expired")
            if redirect_uri != found.redirect_uri:
                raise InvalidGrant("The redirect_uri differs from the authorization request's.")
            pkce.verify(code_verifier, found.code_challenge)
            resource_within(resource, found.resource)
            org, scopes = self._current_scopes(connection, client, found.user_id, found.org_id, found.scopes)
            family = RefreshFamily(
                id=str(uuid.uuid4()),
                client_id=found.client_id,
                client_name=client.display_name[:200],
                user_id=found.user_id,
                org_id=found.org_id,
                scopes=found.scopes,
                resource=found.resource,
                auth_time=found.auth_time,
                created_at=now,
                last_used_at=now,
                expires_at=family_expires_at(now, refresh_lifetimes(org.policy, self.lifetimes)),
                dpop_jkt=jkt,
            )
            RefreshFamilyRepository(connection).insert(family)
            codes.set_family(found.code_hash, family.id)
            refresh = self._new_refresh_token(connection, family.id, now)
        return self._issue(family, org, scopes, refresh, "authorized_app.created", ip, resource, jkt)

    def _code_replayed(
        self, connection: Connection, code: AuthorizationCode, now: datetime, ip: str | None
    ) -> None:
        """A used code again: revoke what it produced (OAuth 2.1 draft §4.1.3), in this transaction."""
        self.audit.record(
            connection,
            _actor(code.client_id, ip),
            "authorization_code.replayed",
            org_id=code.org_id,
            target_kind="oauth_client",
            target_id=code.client_id[:64],
            details={"authorized_app": code.family_id},
        )
        if code.family_id is not None:
            family = (code.family_id, code.org_id)
            revoke_family(connection, self.audit, family, now, "code_replay", _actor(code.client_id, ip))

    # -- grant_type=refresh_token ------------------------------------------------------------
    def refresh(
        self,
        client_id: str | None,
        refresh_token: str | None,
        scope: str | None,
        resource: str | None,
        ip: str | None,
        *,
        jkt: str | None = None,
    ) -> IssuedToken:
        """OAuth 2.1 draft §4.3: a refresh token for new tokens; the presented one is rotated out.
        ``jkt``: the key of the request's checked DPoP proof, which a bound family requires."""
        if not client_id:
            raise InvalidRequest("client_id is required for a public client.")
        if not refresh_token:
            raise InvalidRequest("The refresh_token parameter is required.")
        requested = scope_rules.parse(scope)
        client = self._known_client(client_id)
        if not secret_format.is_well_formed(refresh_token, self.refresh_prefix):
            raise InvalidGrant(REFRESH_FAILED)
        now = self.clock.now()
        with _kept_when_refused(self.database) as connection:
            families = RefreshFamilyRepository(connection)
            found = families.refresh_token(self.hasher.candidates(refresh_token))
            family = families.get(found[1]) if found is not None else None
            if found is None or family is None or family.client_id != client_id:
                raise InvalidGrant(REFRESH_FAILED)
            check_binding(family, jkt)
            if not families.claim_refresh_token(found[0], now):
                # OAuth 2.1 draft §4.3.1 / §7.4.2: a rotated refresh token came back — someone holds a copy.
                reused = (family.id, family.org_id)
                revoke_family(connection, self.audit, reused, now, "refresh_reuse", _actor(client_id, ip))
                raise InvalidGrant(REFRESH_FAILED, detail="refresh token reuse: family revoked")
            org, scopes = self._check_refresh(connection, family, client, requested, resource, now)
            families.touch(family.id, now)
            refresh = self._new_refresh_token(connection, family.id, now)
        return self._issue(family, org, scopes, refresh, "authorized_app.refreshed", ip, resource, jkt)

    def _check_refresh(
        self,
        connection: Connection,
        family: RefreshFamily,
        client: PublicClient,
        requested: frozenset[str],
        resource: str | None,
        now: datetime,
    ) -> tuple[Organization, frozenset[str]]:
        org = OrganizationRepository(connection).get(family.org_id)
        lifetimes = self.lifetimes if org is None else refresh_lifetimes(org.policy, self.lifetimes)
        dead = family_dead_reason(family, now, lifetimes)
        if dead is not None:
            raise InvalidGrant(REFRESH_FAILED, detail=f"refresh family {dead}")
        beyond = sorted(requested - family.scopes)
        if beyond:
            # RFC 6749 §6: a refresh may narrow the scope, never widen it.
            raise InvalidScope(f"scope beyond the authorization: {' '.join(beyond)[:200]}")
        resource_within(resource, family.resource)
        wanted = requested or family.scopes
        return self._current_scopes(connection, client, family.user_id, family.org_id, wanted)

    # -- shared ---------------------------------------------------------------------------------
    def _known_client(self, client_id: str) -> PublicClient:
        client = self.clients(client_id)
        if client is None:
            # Unknown, or a registered client an admin removed: its refresh tokens end with it.
            raise InvalidClient("The client is unknown to this server.")
        return client

    @staticmethod
    def _current_scopes(
        connection: Connection, client: PublicClient, user_id: str, org_id: str, wanted: frozenset[str]
    ) -> tuple[Organization, frozenset[str]]:
        """``wanted`` ∩ what the person's current role may grant; ``invalid_grant`` once they left
        or once the organisation's policy refuses ``client``'s kind."""
        orgs = OrganizationRepository(connection)
        org = orgs.get(org_id)
        membership = orgs.membership(org_id, user_id)
        if org is None or membership is None:
            raise InvalidGrant("The person who authorized this is no longer a member of the organisation.")
        refused = client_kind_refusal(org.policy, client)
        if refused is not None:
            raise InvalidGrant(refused)
        scopes = delegation.grantable(membership.role, wanted)
        if not scopes:
            raise InvalidScope("The person's role no longer allows any of the authorized scopes.")
        return org, scopes

    def _new_refresh_token(self, connection: Connection, family_id: str, now: datetime) -> str:
        refresh = secret_format.generate(self.refresh_prefix)
        RefreshFamilyRepository(connection).add_refresh_token(family_id, self.hasher.hash(refresh), now)
        return refresh

    def _issue(
        self,
        family: RefreshFamily,
        org: Organization,
        scopes: frozenset[str],
        refresh: str,
        action: str,
        ip: str | None,
        presented: str | None,
        jkt: str | None,
    ) -> IssuedToken:
        """Mint (outside any transaction: the minter may read the key table), then record the token's
        ``jti`` with its family. A family revoked meanwhile (a racing replay) revokes it at once.

        The token is for the resource the request names (already checked to be a granted one), else
        the first one granted (RFC 8707 §2.2): that resource's URI is its ``aud`` and its scopes are
        those the resource accepts."""
        audience = None
        wanted = presented if presented is not None else (family.resource[0] if family.resource else None)
        target = self.resources.resolve([wanted]) if self.resources is not None and wanted else None
        if target is not None:
            scopes = narrow_to_resource(frozenset(), scopes, target)
            if not scopes:
                raise InvalidScope(f"None of the authorized scopes is accepted by the resource {target.uri}.")
            audience = target.uri
        issued = self.issuance.for_authorized_app(
            user_id=family.user_id,
            org=org,
            client_id=family.client_id,
            scopes=scopes,
            ttl=self.access_ttl,
            auth_time=family.auth_time,
            audience=audience,
            jkt=jkt,
        )
        with self.database.transaction() as connection:
            live = RefreshFamilyRepository(connection).attach_access_token(
                family.id, issued.jti, issued.expires_at, self.clock.now()
            )
            if live:
                self.audit.record(
                    connection,
                    _actor(family.client_id, ip, family.user_id),
                    action,
                    org_id=family.org_id,
                    target_kind="authorized_app",
                    target_id=family.id,
                    target_hint=family.client_name,
                    details={"client_id": family.client_id[:200], "scope": issued.scope, "jti": issued.jti},
                )
        if not live:
            raise InvalidGrant(GRANT_FAILED, detail="the authorization was revoked while issuing")
        return replace(issued, refresh_token=refresh)
