"""Who is calling the management API, MCP server or dashboard: a bearer token becomes an Actor.

Accepted (PRODUCT.md part 5): a personal access token directly (seed 001), or a JWT access
token issued to a *user* (``sub_kind: user``, e.g. exchanged from a personal token) whose
scopes are then the ceiling. A client's access token never passes as a user's. The role
always comes from the current membership, never from the token.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import TooManyRequests, Unauthenticated
from tokensmith.core.secrets import MAX_PRESENTED_TOKEN_LENGTH
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.introspection import PERSONAL_CLIENT_PREFIX
from tokensmith.services.minting import TokenMinter
from tokensmith.services.personal_tokens import PersonalTokenService
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository

MAX_BEARER_LENGTH = MAX_PRESENTED_TOKEN_LENGTH


class BearerAuthenticator:
    def __init__(
        self,
        database: Database,
        minter: TokenMinter,
        personal_tokens: PersonalTokenService,
        limiter: AuthFailureLimiter,
    ) -> None:
        self._db = database
        self._minter = minter
        self._personal_tokens = personal_tokens
        self._limiter = limiter

    def authenticate(self, token: str, *, transport: Transport, ip: str | None = None) -> Actor:
        """The caller behind ``token``. Failed attempts count against the address's limit
        (shared with the token endpoint): an address over it gets 429 until its window moves on."""
        wait = self._limiter.address_blocked(ip)
        if wait is not None:
            raise TooManyRequests(wait)
        try:
            return self._authenticate(token, transport, ip)
        except Unauthenticated:
            self._limiter.record_failure("", ip)
            raise

    def _authenticate(self, token: str, transport: Transport, ip: str | None) -> Actor:
        if not token:
            raise Unauthenticated("a bearer token is required", code="unauthenticated")
        if len(token) > MAX_BEARER_LENGTH:
            # A token was presented: RFC 6750 §3.1 invalid_token, not "no credentials".
            raise Unauthenticated("the bearer token is too long", code="invalid_token")
        if token.startswith(self._personal_tokens.prefix):
            found = self._personal_tokens.authenticate(token, ip)
            if found is None:
                raise Unauthenticated(
                    "the personal token is invalid, expired or revoked", code="invalid_token"
                )
            return Actor(
                method=AuthMethod.PERSONAL_TOKEN,
                transport=transport,
                user_id=found.user.id,
                email=found.user.email,
                org_id=found.org.id,
                role=found.role,
                scopes=found.token.scopes,
                expires_at=found.token.expires_at,
                ip=ip,
                token_id=found.token.id,
            )
        return self._access_token(token, transport, ip)

    def _access_token(self, token: str, transport: Transport, ip: str | None) -> Actor:
        claims = self._minter.decode(token)
        if claims is None:
            raise Unauthenticated("the access token is invalid or expired", code="invalid_token")
        if claims.get("sub_kind") != "user":
            raise Unauthenticated(
                "this access token was issued to a client, not a user; use a personal token or exchange it",
                code="invalid_token",
            )
        client_id = str(claims.get("client_id", ""))
        with self._db.transaction() as connection:
            if AccessTokenRepository(connection).is_revoked(str(claims["jti"])):
                raise Unauthenticated("the access token was revoked", code="invalid_token")
            orgs = OrganizationRepository(connection)
            membership = orgs.membership(str(claims.get("org_id")), str(claims["sub"]))
            user = orgs.user(str(claims["sub"]))
        if membership is None or user is None:
            raise Unauthenticated("the token's user is no longer a member", code="invalid_token")
        if client_id.startswith(PERSONAL_CLIENT_PREFIX) and not self._personal_tokens.is_active(
            client_id[len(PERSONAL_CLIENT_PREFIX) :]
        ):
            raise Unauthenticated(
                "the personal token behind this access token was revoked", code="invalid_token"
            )
        return Actor(
            method=AuthMethod.ACCESS_TOKEN,
            transport=transport,
            user_id=user.id,
            email=user.email,
            org_id=membership.org_id,
            role=membership.role,
            scopes=frozenset(str(claims.get("scope", "")).split()),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            ip=ip,
            token_id=str(claims["jti"]),
        )
