"""Records and pure rules of the authorization code flow (OAuth 2.1 draft §4.1, RFC 6749 §4.1, §6).

* :class:`PublicClient` — a client registered by RFC 7591 Dynamic Client Registration (or described
  by a Client ID Metadata Document): ``token_endpoint_auth_method`` is always ``none`` (a public
  client, OAuth 2.1 draft §2.1), so PKCE is what binds its code to it.
* :class:`AuthorizationCode` — single-use, short-lived, bound to client, redirect URI, PKCE
  challenge, user, organisation, scopes and resource (OAuth 2.1 draft §4.1.2). Only its keyed hash
  is stored.
* :class:`RefreshFamily` — what one consent produced: the refresh tokens that rotate on every use
  (OAuth 2.1 draft §4.3.1 and §7.4.2), the access tokens minted from it, the absolute and idle
  lifetimes. A person sees these as "Authorized apps".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tokensmith.core.errors import InvalidDPoPProof, InvalidGrant

#: OAuth 2.1 draft §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED";
#: a browser round trip needs seconds, so one minute.
CODE_LIFETIME_SECONDS = 60
REFRESH_FAILED = "The refresh token is invalid, expired or revoked."


@dataclass(frozen=True)
class PublicClient:
    client_id: str
    client_name: str
    redirect_uris: tuple[str, ...]
    #: Scopes registered with the client (RFC 7591 §2 ``scope``): the default when a request omits them.
    scope: frozenset[str]
    client_uri: str | None
    created_at: datetime
    #: True for a Client ID Metadata Document (the client ID is the document's URL); never stored.
    from_metadata_document: bool = False

    @property
    def display_name(self) -> str:
        return self.client_name or self.client_id


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    user_id: str
    org_id: str
    scopes: frozenset[str]
    resource: tuple[str, ...]
    auth_time: datetime
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    family_id: str | None = None


@dataclass(frozen=True)
class RefreshFamily:
    id: str
    client_id: str
    client_name: str
    user_id: str
    org_id: str
    scopes: frozenset[str]
    resource: tuple[str, ...]
    auth_time: datetime
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    #: RFC 9449 §5: the thumbprint of the DPoP key its refresh tokens are bound to; ``None``: unbound.
    dpop_jkt: str | None = None


@dataclass(frozen=True)
class RefreshLifetimes:
    """Absolute (from consent) and idle (since the last refresh) lifetimes, in seconds."""

    absolute_seconds: int
    idle_seconds: int


def family_expires_at(created_at: datetime, lifetimes: RefreshLifetimes) -> datetime:
    return created_at + timedelta(seconds=lifetimes.absolute_seconds)


def family_dead_reason(family: RefreshFamily, now: datetime, lifetimes: RefreshLifetimes) -> str | None:
    """Why a family's refresh tokens no longer work, or ``None`` while they do."""
    if family.revoked_at is not None:
        return "revoked"
    if now >= family.expires_at:
        return "expired"
    if now >= family.last_used_at + timedelta(seconds=lifetimes.idle_seconds):
        return "idle"
    return None


def check_binding(family: RefreshFamily, jkt: str | None) -> None:
    """RFC 9449 §5: a family bound to a DPoP key refreshes only with a proof of that key."""
    if family.dpop_jkt is None:
        return
    if jkt is None:
        raise InvalidDPoPProof("The refresh token is bound to a DPoP key: send a DPoP proof of that key.")
    if jkt != family.dpop_jkt:
        raise InvalidGrant(REFRESH_FAILED, detail="DPoP proof of another key than the refresh token's")


@dataclass(frozen=True)
class IssuedCode:
    """A code just created: ``plain`` goes into the redirect and nowhere else."""

    plain: str = field(repr=False)
    expires_at: datetime
