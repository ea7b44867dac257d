"""The authenticated caller a verified access token stands for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["Principal", "SubjectKind"]

SubjectKind = Literal["client", "user"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who called, for which organisation, with which scopes (RFC 9068 §2.2 claims, typed).

    ``token_id`` is the ``jti`` (RFC 9068 §2.2); personal access tokens checked through introspection
    may have none. ``expires_at`` is ``None`` only for a personal token that never expires.
    ``claims`` holds every claim (or introspection member) as received, read-only; ``audience``
    the resource(s) the token is for.
    """

    subject: str
    subject_kind: SubjectKind
    organization_id: str | None
    client_id: str
    scopes: frozenset[str]
    token_id: str | None
    expires_at: datetime | None
    claims: Mapping[str, Any] = field(repr=False, compare=False)
    #: The token's ``aud`` (RFC 7519 §4.1.3): the resource(s) it was issued for (RFC 8707). Empty
    #: for a token that names none (a personal access token checked through introspection).
    audience: tuple[str, ...] = ()

    @property
    def dpop_jkt(self) -> str | None:
        """The key thumbprint a DPoP-bound token is bound to (``cnf.jkt``, RFC 9449 §6), else ``None``."""
        cnf = self.claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
        return jkt if isinstance(jkt, str) else None

    def has_scopes(self, *scopes: str) -> bool:
        """True when the token carries every one of ``scopes`` (scopes are a ceiling, RFC 6749 §3.3)."""
        return self.scopes.issuperset(scopes)

    def missing_scopes(self, *scopes: str) -> frozenset[str]:
        return frozenset(scopes) - self.scopes
