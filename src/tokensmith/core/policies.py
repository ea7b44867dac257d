"""Organisation policy rules, as pure functions of the policy and a time: personal-token
lifetimes (seed 001's optional expiry, seed 002's "30 days of no use or 3 months from
creation"), which credential kinds may get tokens, which kinds of public client may be
authorized, and the lifetimes of an authorized app's refresh tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tokensmith.core.authorization import PublicClient, RefreshLifetimes
from tokensmith.core.errors import BadRequest, Forbidden, UnauthorizedClient
from tokensmith.core.permissions import check_credential_kind_allowed
from tokensmith.core.records import CredentialKind, OrgPolicy, PersonalTokenRecord


def check_client_allowed(policy: OrgPolicy, kind: CredentialKind) -> None:
    """RFC 6749 §5.2 ``unauthorized_client`` when ``policy`` disallows credentials of ``kind``:
    the one check of every door that authenticates a client or issues it a token."""
    try:
        check_credential_kind_allowed(policy, kind)
    except Forbidden as exc:
        raise UnauthorizedClient(exc.description) from None


def client_kind_refusal(policy: OrgPolicy, client: PublicClient) -> str | None:
    """Why an organisation with ``policy`` refuses ``client``'s kind (issue 12 item 4), or ``None``:
    a Client ID Metadata Document client needs ``allow_metadata_document_clients``, one registered by
    RFC 7591 Dynamic Client Registration ``allow_registered_clients``."""
    if client.from_metadata_document and not policy.allow_metadata_document_clients:
        return "This organisation does not allow apps identified by a client metadata document."
    if not client.from_metadata_document and not policy.allow_registered_clients:
        return "This organisation does not allow apps that registered themselves with this server."
    return None


def resolve_expiry(
    policy: OrgPolicy,
    now: datetime,
    requested: datetime | None,
    *,
    ceiling: datetime | None = None,
) -> datetime | None:
    """The expiry a new token gets, or a clear error.

    ``ceiling`` is the expiry of the token the caller authenticated with: nothing it
    creates may outlive it.
    """
    if requested is not None and requested <= now:
        raise BadRequest("the expiry must be in the future", field="expiry")
    if requested is None and policy.pat_expiry_required:
        raise Forbidden(
            "this organisation requires personal tokens to expire", code="policy_forbids", field="expiry"
        )
    if policy.pat_max_lifetime_days is not None:
        longest = now + timedelta(days=policy.pat_max_lifetime_days)
        if requested is None:
            requested = longest
        elif requested > longest:
            raise Forbidden(
                f"this organisation allows personal tokens of at most {policy.pat_max_lifetime_days} days",
                code="policy_forbids",
                field="expiry",
            )
    if ceiling is not None:
        if requested is None:
            raise Forbidden(
                "a token that expires cannot create one that never expires",
                code="lifetime_not_allowed",
                field="expiry",
            )
        if requested > ceiling:
            raise Forbidden(
                "a token cannot create a token that outlives it", code="lifetime_not_allowed", field="expiry"
            )
    return requested


def inactive_since(token: PersonalTokenRecord, last_used: datetime | None) -> datetime:
    """The latest known use (this process's pending one or the stored one), else creation."""
    return max(t for t in (last_used, token.last_used_at, token.created_at) if t is not None)


def expiry_reason(
    token: PersonalTokenRecord, policy: OrgPolicy, now: datetime, last_used: datetime | None = None
) -> str | None:
    """Why ``token`` no longer works (``revoked``, ``expired``, ``inactive``), or ``None``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    if (
        policy.pat_inactivity_days is not None
        and inactive_since(token, last_used) + timedelta(days=policy.pat_inactivity_days) <= now
    ):
        return "inactive"
    return None


def effective_expiry(
    token: PersonalTokenRecord, policy: OrgPolicy, last_used: datetime | None = None
) -> datetime | None:
    """The earliest moment ``token`` stops working if nothing else happens."""
    candidates = [t for t in (token.expires_at,) if t is not None]
    if policy.pat_inactivity_days is not None:
        candidates.append(inactive_since(token, last_used) + timedelta(days=policy.pat_inactivity_days))
    return min(candidates) if candidates else None


def expiry_choices(policy: OrgPolicy, offered: Sequence[int | None]) -> list[int | None]:
    """Which of the ``offered`` lifetimes (days; ``None`` = never expires) the policy allows,
    plus the policy's maximum when it is not among them."""
    never_allowed = not policy.pat_expiry_required and policy.pat_max_lifetime_days is None
    longest = policy.pat_max_lifetime_days
    allowed = [
        days
        for days in offered
        if (days is None and never_allowed) or (days is not None and (longest is None or days <= longest))
    ]
    if longest is not None and longest not in allowed:
        allowed.append(longest)
    return allowed


def refresh_lifetimes(policy: OrgPolicy, deployment: RefreshLifetimes) -> RefreshLifetimes:
    """The absolute and idle lifetimes of an authorized app's refresh tokens in an organisation with
    ``policy``: each of its two fields, or the deployment's setting where it is ``None``."""
    return RefreshLifetimes(
        absolute_seconds=policy.refresh_token_lifetime_seconds or deployment.absolute_seconds,
        idle_seconds=policy.refresh_token_idle_seconds or deployment.idle_seconds,
    )
