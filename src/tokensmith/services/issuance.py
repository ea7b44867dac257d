"""The one guarded way to issue an access token.

Every door that hands out a token comes through here: the token endpoint's client credentials
grant (RFC 6749 §4.4), RFC 8693 token exchange of a personal token, and the dashboard's
Generate Token. In that order, :class:`TokenIssuance`

1. applies the organisation's policy — a credential kind the policy disallows gets no token
   (``unauthorized_client``, RFC 6749 §5.2), nor does a personal token when personal tokens
   are disallowed;
2. caps a personal credential by its owner's current role (:mod:`tokensmith.core.delegation`):
   an owner who is no longer a member gets nothing, a downgraded owner's next token is
   narrower;
3. narrows the scopes (RFC 6749 §3.3): an omitted scope means everything still allowed, a
   scope beyond that is ``invalid_scope``;
4. mints (:class:`~tokensmith.services.minting.TokenMinter`), and audits when a person asked
   through an interactive door (the dashboard). The token endpoint audits as it always has —
   failed-authentication bursts, not every token — so its hot path stays one database read
   (the credential lookup, which already brings the organisation, its policy and the owner's
   role).
"""

from __future__ import annotations

from datetime import datetime

from tokensmith.core import delegation, policies
from tokensmith.core.actors import Actor
from tokensmith.core.errors import InvalidScope, InvalidSubjectToken, UnauthorizedClient
from tokensmith.core.records import Credential, CredentialKind, Organization, SubjectKind, TokenFormat
from tokensmith.services.audit import AuditLog
from tokensmith.services.introspection import PERSONAL_CLIENT_PREFIX
from tokensmith.services.minting import Grant, IssuedToken, TokenMinter
from tokensmith.storage.database import Database


def narrow(requested: frozenset[str], allowed: frozenset[str], refusal: str) -> frozenset[str]:
    """RFC 6749 §3.3: ``requested`` when it fits under ``allowed``; all of ``allowed`` when omitted."""
    if not requested:
        return allowed
    extra = sorted(requested - allowed)
    if extra:
        raise InvalidScope(f"{refusal}: {' '.join(extra)}")
    return requested


def usable_scopes(credential: Credential, org: Organization) -> frozenset[str]:
    """What ``credential`` may still put in a token, or ``unauthorized_client`` if nothing."""
    policies.check_client_allowed(org.policy, credential.kind)
    if credential.kind is CredentialKind.ORGANIZATION:
        return credential.scopes
    if credential.owner_role is None:
        raise UnauthorizedClient("The personal credential's owner is no longer a member of the organisation.")
    return delegation.grantable(credential.owner_role, credential.scopes)


class TokenIssuance:
    def __init__(self, database: Database, minter: TokenMinter, audit: AuditLog) -> None:
        self._db = database
        self._minter = minter
        self._audit = audit

    def for_credential(
        self,
        credential: Credential,
        org: Organization,
        requested: frozenset[str],
        *,
        actor: Actor | None = None,
    ) -> IssuedToken:
        """A token about ``credential`` itself (RFC 6749 §4.4), after policy, owner and scope checks.

        ``actor`` is the person who asked through the dashboard (audited as
        ``credential.token_generated``); ``None`` for the token endpoint.
        """
        allowed = usable_scopes(credential, org)
        if not allowed and credential.scopes:
            raise InvalidScope("The owner's role no longer allows any of this credential's scopes.")
        granted = narrow(requested, allowed, "scope not allowed for this client")
        issued = self._minter.mint(Grant.for_credential(credential, granted))
        if actor is not None:
            with self._db.transaction() as connection:
                self._audit.record(
                    connection,
                    actor,
                    "credential.token_generated",
                    org_id=credential.org_id,
                    target_kind="credential",
                    target_id=credential.client_id,
                    target_hint=credential.name,
                    details={"jti": issued.jti, "scope": issued.scope, "expires_in": issued.expires_in},
                )
        return issued

    def for_personal_token(
        self,
        *,
        user_id: str,
        org: Organization,
        personal_token_id: str,
        token_scopes: frozenset[str],
        requested: frozenset[str],
        ttl: int,
        now: datetime,
        expiry: datetime | None,
    ) -> IssuedToken:
        """RFC 8693 §2.2.1: a short-lived token about the personal token's user, never outliving it."""
        if not org.policy.allow_personal_tokens:
            raise UnauthorizedClient("This organisation's policy does not allow personal tokens.")
        granted = narrow(requested, token_scopes, "scope exceeds the personal token's")
        if expiry is not None:
            ttl = min(ttl, int((expiry - now).total_seconds()))
        if ttl < 1:
            raise InvalidSubjectToken("The subject token is about to expire.")
        return self._minter.mint(
            Grant(
                subject=user_id,
                subject_kind=SubjectKind.USER,
                org_id=org.id,
                client_id=f"{PERSONAL_CLIENT_PREFIX}{personal_token_id}",
                scopes=granted,
                ttl=ttl,
                token_format=TokenFormat.JWT,
                personal_token_id=personal_token_id,
            )
        )
