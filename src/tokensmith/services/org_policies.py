"""Organisation policy: which credential kinds are allowed, personal-token lifetimes, the
issuance quota of each credential (``credential_tokens_per_hour``, :mod:`tokensmith.services.issuance_quota`),
and the absolute and idle lifetimes of authorized apps' refresh tokens (``refresh_token_*_seconds``,
:mod:`tokensmith.services.authorization_grants`; ``None``: the deployment's settings), and whether
apps registered by Dynamic Client Registration and Client ID Metadata Document apps may be authorized
(``allow_registered_clients``, ``allow_metadata_document_clients``: checked at consent and at every
code exchange and refresh, so switching one off cuts the apps already authorized).

Seed 002's "30 days of no use or 3 months from creation" is ``pat_inactivity_days=30,
pat_max_lifetime_days=90``; seed 004's plan gating switches credential kinds off.
Any member with ``members:read`` reads the policy; owners and admins with ``members:write``
change it. A change applies to new tokens and, for inactivity, to existing ones at their
next use; maximum lifetime is fixed into each token's expiry when it is created.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

from tokensmith.core import permissions
from tokensmith.core.actors import Actor
from tokensmith.core.errors import BadRequest
from tokensmith.core.records import OrgPolicy
from tokensmith.services.audit import AuditLog
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository

MAX_DAYS = 3650
POLICY_FIELDS = frozenset(f.name for f in fields(OrgPolicy))
_DAY_FIELDS = ("pat_max_lifetime_days", "pat_inactivity_days")
#: The largest per-credential issuance quota (tokens per hour) a policy may set.
MAX_TOKENS_PER_HOUR = 1_000_000
#: The bounds of a refresh-token lifetime (seconds): as the settings' floor, at most ten years.
_SECOND_FIELDS = ("refresh_token_lifetime_seconds", "refresh_token_idle_seconds")
MIN_REFRESH_SECONDS = 300
MAX_REFRESH_SECONDS = 3650 * 86400


def validate_changes(changes: dict[str, Any]) -> None:
    unknown = sorted(set(changes) - POLICY_FIELDS)
    if unknown:
        raise BadRequest(f"unknown policy field(s): {', '.join(unknown)}")
    for name, value in changes.items():
        if name in _DAY_FIELDS:
            if value is not None and (type(value) is not int or not 1 <= value <= MAX_DAYS):
                raise BadRequest(
                    f"{name} must be null or a whole number of days from 1 to {MAX_DAYS}", field=name
                )
        elif name == "credential_tokens_per_hour":
            if value is not None and (type(value) is not int or not 1 <= value <= MAX_TOKENS_PER_HOUR):
                raise BadRequest(
                    f"{name} must be null or a whole number of tokens from 1 to {MAX_TOKENS_PER_HOUR}",
                    field=name,
                )
        elif name in _SECOND_FIELDS:
            if value is not None and (
                type(value) is not int or not MIN_REFRESH_SECONDS <= value <= MAX_REFRESH_SECONDS
            ):
                raise BadRequest(
                    f"{name} must be null or a whole number of seconds from {MIN_REFRESH_SECONDS}"
                    f" to {MAX_REFRESH_SECONDS}",
                    field=name,
                )
        elif type(value) is not bool:
            raise BadRequest(f"{name} must be true or false", field=name)


class PolicyService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    def get(self, actor: Actor, org_id: str) -> OrgPolicy:
        permissions.require_scope(actor, "members:read")
        permissions.require_org(actor, org_id)
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).require(org_id).policy

    def update(self, actor: Actor, org_id: str, changes: dict[str, Any]) -> OrgPolicy:
        """Apply a partial change; fields not named keep their value."""
        permissions.require_scope(actor, "members:write")
        permissions.require_org(actor, org_id)
        permissions.require_admin(actor, "change the organisation's policy")
        validate_changes(changes)
        with self._db.transaction() as connection:
            repo = OrganizationRepository(connection)
            org = repo.require(org_id)
            policy = replace(org.policy, **changes)
            before, after = asdict(org.policy), asdict(policy)
            diff = {k: [before[k], after[k]] for k in sorted(after) if before[k] != after[k]}
            if diff:
                repo.set_policy(org_id, policy)
                self._audit.record(
                    connection,
                    actor,
                    "org.policy_changed",
                    org_id=org_id,
                    target_kind="organization",
                    target_id=org_id,
                    target_hint=org.name,
                    details={"changes": diff},
                )
        return policy
