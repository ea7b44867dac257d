"""Personal credentials act for their owner: what the owner's role lets such a credential carry.

An organisation credential acts for the organisation (only owners and admins make them). A
*personal* credential is a member's own OAuth client (RFC 6749 §2.1): its tokens are about the
client (``sub_kind: client``, RFC 9068 §2.2) but name the member it acts for in the
``owner_sub`` claim, and it can never carry a scope whose actions the owner's role could not
take. The cap applies when the credential is created and again at every token (RFC 6749 §3.3:
the server may issue fewer scopes than requested), so a role downgrade narrows the next token
and an owner who is no longer a member gets none.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokensmith.core.errors import Forbidden
from tokensmith.core.roles import Role

#: Scopes whose actions the service layer reserves for owners and admins (adding, re-roling and
#: removing members, changing the policy; reading the audit log). A plain member's personal
#: credential may not carry them.
ADMIN_ONLY_SCOPES = frozenset({"members:write", "audit:read"})

#: The claim naming the member a personal credential's token acts for (the user id).
OWNER_CLAIM = "owner_sub"


def grantable(role: Role, scopes: Iterable[str]) -> frozenset[str]:
    """The part of ``scopes`` a personal credential of a ``role`` member may carry."""
    wanted = frozenset(scopes)
    return wanted if role.is_admin else wanted - ADMIN_ONLY_SCOPES


def check_owner_may_grant(role: Role, scopes: Iterable[str]) -> None:
    """Refuse a personal credential that would carry more than its owner's role allows."""
    wanted = frozenset(scopes)
    beyond = sorted(wanted - grantable(role, wanted))
    if beyond:
        raise Forbidden(
            f"scope(s) {' '.join(beyond)} exceed what the owner's role ({role.value}) may grant",
            code="scope_not_allowed",
            field="scopes",
        )
