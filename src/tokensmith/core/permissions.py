"""Who may do what: pure rules over an :class:`Actor` (scopes are a ceiling, roles decide).

Seed 001: "The token's scopes define the maximum set of actions it can perform, and
resource-level policies still apply based on your account's relationships."
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tokensmith.core.actors import Actor
from tokensmith.core.errors import BadRequest, Forbidden, InsufficientScope, NotFound
from tokensmith.core.records import Credential, CredentialKind, OrgPolicy
from tokensmith.core.scopes import INTROSPECT_ALL_SCOPE, RESOURCES_ADMIN_SCOPE


def require_scope(actor: Actor, scope: str) -> None:
    """The presented token must carry ``scope`` (sessions and the CLI have no ceiling)."""
    if not actor.allows_scope(scope):
        raise InsufficientScope(scope)


def require_org(actor: Actor, org_id: str) -> None:
    """Objects of another organisation do not exist for this actor (404, not 403)."""
    if not actor.is_system and actor.org_id != org_id:
        raise NotFound("no such object")


def require_operator_scope(actor: Actor, scope: str, what: str) -> None:
    """The operator, or a token that carries ``scope`` — one of :data:`OPERATOR_SCOPES`, which only
    the operator can grant. A dashboard session (no scope ceiling) is not enough: the power must
    have been handed out on purpose."""
    if actor.is_system:
        return
    if actor.scopes is None or scope not in actor.scopes:
        raise Forbidden(f"only the operator, or a token the operator granted {scope}, can {what}")


def require_admin(actor: Actor, what: str, *, field: str | None = None) -> None:
    """Only owners and admins (and the operator) may do ``what``; ``field`` is the input that asked."""
    if actor.is_system:
        return
    if actor.role is None or not actor.role.is_admin:
        raise Forbidden(f"only organisation owners and admins can {what}", field=field)


#: Scopes only the operator (CLI) may grant: they reach across organisations.
OPERATOR_SCOPES = frozenset({INTROSPECT_ALL_SCOPE, RESOURCES_ADMIN_SCOPE})


def check_scopes(requested: Iterable[str], registry: Mapping[str, str], actor: Actor) -> frozenset[str]:
    """Requested scopes must exist and fit under the actor's own ceiling."""
    scopes = frozenset(requested)
    unknown = sorted(s for s in scopes if s not in registry)
    if unknown:
        raise BadRequest(f"unknown scope(s): {' '.join(unknown)}", code="scope_not_allowed", field="scopes")
    reserved = sorted(scopes & OPERATOR_SCOPES)
    if reserved and not actor.is_system:
        raise Forbidden(
            f"scope(s) {' '.join(reserved)} can only be granted by the operator (tokensmith CLI)",
            code="scope_not_allowed",
            field="scopes",
        )
    if actor.scopes is not None:
        wider = sorted(scopes - actor.scopes)
        if wider:
            raise Forbidden(
                f"scope(s) {' '.join(wider)} exceed this token's own scopes", code="scope_not_allowed"
            )
    return scopes


def can_see_credential(actor: Actor, credential: Credential) -> bool:
    """Members see their own personal credentials and the organisation's credentials;
    nobody sees another member's personal credentials."""
    if actor.is_system:
        return True
    if actor.org_id != credential.org_id:
        return False
    return credential.user_id is None or credential.user_id == actor.user_id


def can_change_credential(actor: Actor, credential: Credential) -> bool:
    if not can_see_credential(actor, credential):
        return False
    if credential.kind is CredentialKind.ORGANIZATION:
        return actor.is_system or (actor.role is not None and actor.role.is_admin)
    return True


def check_credential_kind_allowed(policy: OrgPolicy, kind: CredentialKind) -> None:
    if kind is CredentialKind.PERSONAL and not policy.allow_personal_credentials:
        raise Forbidden(
            "this organisation's policy does not allow personal credentials",
            code="policy_forbids",
            field="kind",
        )
    if kind is CredentialKind.ORGANIZATION and not policy.allow_org_credentials:
        raise Forbidden(
            "this organisation's policy does not allow organisation credentials",
            code="policy_forbids",
            field="kind",
        )
