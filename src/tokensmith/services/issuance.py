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
   scope beyond that is ``invalid_scope``; with a ``resource`` (RFC 8707 §2, already resolved by
   :meth:`~tokensmith.services.resources.ResourceService.resolve`) also to the scopes that resource
   accepts (:func:`~tokensmith.core.resources.narrow_to_resource`), and the token's ``aud`` is the
   resource's URI;
4. for the token endpoint, answers with the token already issued when the credential opted in
   to token reuse (:mod:`tokensmith.services.token_reuse`; not for a named resource); otherwise takes
   one from the organisation's issuance quota (:mod:`tokensmith.services.issuance_quota`, 429 when used up);
5. mints (:class:`~tokensmith.services.minting.TokenMinter`), reports credentials minting far
   more than their lifetime needs (:mod:`tokensmith.services.overissue`), and audits when a person asked
   through an interactive door (the dashboard). The token endpoint audits as it always has —
   failed-authentication bursts, not every token — so its hot path stays one database read
   (the credential lookup, which already brings the organisation, its policy and the owner's
   role).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from tokensmith.core import delegation, policies
from tokensmith.core.actors import Actor
from tokensmith.core.errors import InvalidDPoPProof, InvalidScope, InvalidSubjectToken, UnauthorizedClient
from tokensmith.core.records import Credential, CredentialKind, Organization, SubjectKind, TokenFormat
from tokensmith.core.resources import Resource, narrow_to_resource
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.introspection import PERSONAL_CLIENT_PREFIX
from tokensmith.services.issuance_quota import IssuanceQuota
from tokensmith.services.minting import Grant, IssuedToken, TokenMinter
from tokensmith.services.overissue import OverissueWatch
from tokensmith.services.token_reuse import TokenReuse
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


@dataclass(frozen=True, slots=True, eq=False)
class TokenIssuance:
    database: Database
    minter: TokenMinter
    audit: AuditLog
    quota: IssuanceQuota | None = field(default=None, kw_only=True)
    reuse: TokenReuse | None = field(default=None, kw_only=True)
    overissue: OverissueWatch | None = field(default=None, kw_only=True)

    def for_credential(
        self,
        credential: Credential,
        org: Organization,
        requested: frozenset[str],
        *,
        actor: Actor | None = None,
        resource: Resource | None = None,
        jkt: str | None = None,
    ) -> IssuedToken:
        """A token about ``credential`` itself (RFC 6749 §4.4), after policy, owner and scope checks.

        ``actor`` is the person who asked through the dashboard (audited as
        ``credential.token_generated``); ``None`` for the token endpoint. ``resource``: the API the
        token is for (RFC 8707), ``None`` for the default audience. ``jkt``: the thumbprint
        of a checked DPoP proof's key (RFC 9449 §6); a credential that requires DPoP gets no
        token without one (§5: ``invalid_dpop_proof``).
        """
        if credential.require_dpop and jkt is None:
            raise InvalidDPoPProof("This client must present a DPoP proof (RFC 9449) to get a token.")
        allowed = usable_scopes(credential, org)
        if not allowed and credential.scopes:
            raise InvalidScope("The owner's role no longer allows any of this credential's scopes.")
        granted = narrow(requested, allowed, "scope not allowed for this client")
        grant = Grant.for_credential(credential, granted, jkt)
        if resource is not None:
            grant = replace(
                grant, scopes=narrow_to_resource(requested, granted, resource), audience=resource.uri
            )
        # A reused token was minted for the credential's own audience and is a bearer token, so only
        # a request that names no resource and carries no DPoP proof may be answered with one.
        reuse = self.reuse if actor is None and resource is None and jkt is None else None
        if reuse is not None:
            reused = reuse.find(credential, granted)
            if reused is not None:
                return reused
        if self.quota is not None:
            self.quota.take(credential, org.policy)
        issued = self.minter.mint(grant)
        if reuse is not None:
            reuse.keep(credential, granted, issued)
        if self.overissue is not None:
            self.overissue.minted(credential)
        if actor is not None:
            with self.database.transaction() as connection:
                details = {"jti": issued.jti, "scope": issued.scope, "expires_in": issued.expires_in}
                self.audit.about(
                    connection, actor, "credential.token_generated", Target.credential(credential), details
                )
        return issued

    def for_authorized_app(
        self,
        *,
        user_id: str,
        org: Organization,
        client_id: str,
        scopes: frozenset[str],
        ttl: int,
        auth_time: datetime,
        audience: str | None = None,
        jkt: str | None = None,
    ) -> IssuedToken:
        """OAuth 2.1 draft §4.1.3 / §4.3: a token about the person who consented, for the public
        client they consented to, carrying the scopes already narrowed by
        :mod:`tokensmith.services.authorization_grants` (consent ∩ what the role may grant)."""
        return self.minter.mint(
            Grant(
                subject=user_id,
                subject_kind=SubjectKind.USER,
                org_id=org.id,
                client_id=client_id,
                scopes=scopes,
                ttl=ttl,
                token_format=TokenFormat.JWT,
                auth_time=auth_time,
                audience=audience,
                jkt=jkt,
            )
        )

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
        resource: Resource | None = None,
        jkt: str | None = None,
    ) -> IssuedToken:
        """RFC 8693 §2.2.1: a short-lived token about the personal token's user, never outliving it;
        for ``resource`` (RFC 8707) when one was asked for, and bound to ``jkt`` (RFC 9449 §6) when
        the request carried a DPoP proof."""
        if not org.policy.allow_personal_tokens:
            raise UnauthorizedClient("This organisation's policy does not allow personal tokens.")
        granted = narrow(requested, token_scopes, "scope exceeds the personal token's")
        if resource is not None:
            granted = narrow_to_resource(requested, granted, resource)
        if expiry is not None:
            ttl = min(ttl, int((expiry - now).total_seconds()))
        if ttl < 1:
            raise InvalidSubjectToken("The subject token is about to expire.")
        return self.minter.mint(
            Grant(
                subject=user_id,
                subject_kind=SubjectKind.USER,
                org_id=org.id,
                client_id=f"{PERSONAL_CLIENT_PREFIX}{personal_token_id}",
                scopes=granted,
                ttl=ttl,
                token_format=TokenFormat.JWT,
                personal_token_id=personal_token_id,
                audience=resource.uri if resource is not None else None,
                jkt=jkt,
            )
        )
