"""What a caller may do in the demo API: scopes as a ceiling, resource rules on top.

Scopes (seed 001): ``project:read``, ``project:write``, ``voice:read``, ``members:read``,
``members:write``. Seed 000's catch-all ``api/access`` grants every ``*:read`` scope and no write: a
broad token can look but not change things.

Resource rules, applied after the scope check:

1. Data belongs to the token's organisation (``org_id``); another organisation's project answers 404,
   even to a caller holding ``project:write``; a token without an organisation is refused.
2. Archiving or restoring a project is for its creator, or for a client (machine) token acting for the
   organisation; another user with ``project:write`` may rename it but not archive it.
"""

from __future__ import annotations

from tokensmith.demo.store import Project
from tokensmith.verify import Principal

__all__ = ["CATCH_ALL_SCOPE", "SCOPES", "allows", "may_archive"]

SCOPES = ("project:read", "project:write", "voice:read", "members:read", "members:write")
CATCH_ALL_SCOPE = "api/access"


def allows(principal: Principal, scope: str) -> bool:
    """Whether the token's scopes cover ``scope`` (``api/access`` covering the read scopes)."""
    if principal.has_scopes(scope):
        return True
    return scope.endswith(":read") and principal.has_scopes(CATCH_ALL_SCOPE)


def may_archive(principal: Principal, project: Project) -> bool:
    return principal.subject_kind == "client" or principal.subject == project.created_by
