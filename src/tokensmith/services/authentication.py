"""Who is calling the management API, MCP server or dashboard: a bearer token becomes an Actor.

Accepted (PRODUCT.md part 5): a personal access token directly (seed 001), or a JWT access
token issued to a *user* (``sub_kind: user``, e.g. exchanged from a personal token) whose
scopes are then the ceiling. A client's access token never passes as a user's. The role
always comes from the current membership, never from the token.

One question has an answer for a client's token too: *who is calling?* (``GET /api/me``).
:meth:`BearerAuthenticator.identify` answers it with a :class:`ClientCaller` — a description,
never an :class:`~tokensmith.core.actors.Actor`, so no service can be called with it and
every other door keeps refusing a client's token exactly as before.

A DPoP-bound token (RFC 9449) passes only as ``Authorization: DPoP`` with a valid proof
(:func:`tokensmith.services.dpop_binding.check_binding`); as ``Bearer`` it is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, overload

from sqlalchemy.engine import Connection

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.errors import TooManyRequests, Unauthenticated
from tokensmith.core.records import Credential, Organization, SubjectKind, User
from tokensmith.core.secrets import MAX_PRESENTED_TOKEN_LENGTH, SecretHasher, is_well_formed
from tokensmith.metrics import NO_METRICS, Metrics
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.dpop import DPoPRequest, DPoPValidator
from tokensmith.services.dpop_binding import bound_key, check_binding
from tokensmith.services.introspection import PERSONAL_CLIENT_PREFIX
from tokensmith.services.minting import TokenMinter
from tokensmith.services.personal_tokens import PersonalTokenService
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.storage.repositories.credentials import CredentialRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository

MAX_BEARER_LENGTH = MAX_PRESENTED_TOKEN_LENGTH
T = TypeVar("T")


@dataclass(frozen=True)
class ClientCaller:
    """A live access token issued to a client (RFC 6749 §4.4): the credential, its organisation,
    the member a personal credential acts for (``None`` for an organisation credential) and the
    token's scopes. Only describes the caller; it authorises nothing."""

    credential: Credential
    org: Organization
    owner: User | None
    scopes: frozenset[str]
    token_id: str


@dataclass(eq=False)
class BearerAuthenticator:
    """Who is behind a bearer token on the management API, the dashboard console and MCP."""

    database: Database
    minter: TokenMinter
    personal_tokens: PersonalTokenService
    limiter: AuthFailureLimiter
    clock: Clock = field(kw_only=True)
    hasher: SecretHasher = field(kw_only=True)
    opaque_prefix: str = field(kw_only=True)
    #: Counts the 429s of the failed-authentication limit (``tokensmith_rate_limited_total``).
    metrics: Metrics = field(default=NO_METRICS, kw_only=True)
    #: The JWT audiences each door accepts (RFC 8707 §2, RFC 9068 §4): ``/mcp`` only its own
    #: resource URI; the management API its own and the default audience. A door not named here
    #: accepts the default audience only.
    audiences: Mapping[Transport, frozenset[str]] = field(default_factory=dict, kw_only=True)
    #: Checks the proofs of DPoP-bound tokens (RFC 9449 §7); without it every bound token is refused.
    dpop: DPoPValidator | None = field(default=None, kw_only=True)

    def authenticate(
        self, token: str, *, transport: Transport, ip: str | None = None, dpop: DPoPRequest | None = None
    ) -> Actor:
        """The caller behind ``token``. Failed attempts count against the address's limit
        (shared with the token endpoint): an address over it gets 429 until its window moves on.
        ``dpop``: the request's proof when the token came as ``Authorization: DPoP`` (else ``None``)."""
        return self._limited(ip, lambda: self._authenticate(token, transport, ip, dpop=dpop))

    def identify(
        self, token: str, *, transport: Transport, ip: str | None = None, dpop: DPoPRequest | None = None
    ) -> Actor | ClientCaller:
        """Like :meth:`authenticate`, and a client's live access token is described instead of
        refused (for ``GET /api/me`` only)."""
        return self._limited(ip, lambda: self._authenticate(token, transport, ip, clients=True, dpop=dpop))

    def _limited(self, ip: str | None, attempt: Callable[[], T]) -> T:
        wait = self.limiter.address_blocked(ip)
        if wait is not None:
            self.metrics.rate_limited("failed_authentication")
            raise TooManyRequests(wait)
        try:
            return attempt()
        except Unauthenticated:
            self.limiter.record_failure("", ip)
            raise

    @overload
    def _authenticate(
        self,
        token: str,
        transport: Transport,
        ip: str | None,
        *,
        clients: Literal[False] = False,
        dpop: DPoPRequest | None = None,
    ) -> Actor: ...
    @overload
    def _authenticate(
        self,
        token: str,
        transport: Transport,
        ip: str | None,
        *,
        clients: bool,
        dpop: DPoPRequest | None = None,
    ) -> Actor | ClientCaller: ...
    def _authenticate(
        self,
        token: str,
        transport: Transport,
        ip: str | None,
        *,
        clients: bool = False,
        dpop: DPoPRequest | None = None,
    ) -> Actor | ClientCaller:
        if not token:
            raise Unauthenticated("a bearer token is required", code="unauthenticated")
        if len(token) > MAX_BEARER_LENGTH:
            # A token was presented: RFC 6750 §3.1 invalid_token, not "no credentials".
            raise Unauthenticated("the bearer token is too long", code="invalid_token")
        if token.startswith(self.personal_tokens.prefix):
            check_binding(self.dpop, token, None, dpop)  # a personal token is never DPoP-bound
            found = self.personal_tokens.authenticate(token, ip)
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
        if clients and token.startswith(self.opaque_prefix):
            return self._opaque_client_token(token, dpop)
        claims = self.minter.decode(token, any_audience=True)
        if claims is None:
            raise Unauthenticated("the access token is invalid or expired", code="invalid_token")
        check_binding(self.dpop, token, bound_key(claims.get("cnf")), dpop)
        client = clients and claims.get("sub_kind") == "client"
        if not client and claims.get("sub_kind") != "user":
            raise Unauthenticated(
                "this access token was issued to a client, not a user; use a personal token or exchange it",
                code="invalid_token",
            )
        if claims.get("aud") not in self.audiences.get(transport, frozenset({self.minter.audience})):
            raise Unauthenticated(
                "the access token was issued for another resource (RFC 8707)", code="invalid_token"
            )
        if client:
            return self._client_token(claims)
        return self._user_token(claims, transport, ip)

    def _client_token(self, claims: dict[str, Any]) -> ClientCaller:
        """A client's JWT, live as introspection judges it: not revoked, its credential not deleted."""
        with self.database.transaction() as connection:
            if AccessTokenRepository(connection).is_revoked(str(claims["jti"])):
                raise Unauthenticated("the access token was revoked", code="invalid_token")
            credential = CredentialRepository(connection).by_client_id(str(claims.get("client_id", "")))
            return self._described(
                connection, credential, claims.get("org_id"), str(claims.get("scope", "")), str(claims["jti"])
            )

    def _opaque_client_token(self, token: str, dpop: DPoPRequest | None) -> ClientCaller:
        """A client's opaque token (seed 004), live as introspection judges it: stored, unexpired."""
        record = None
        if is_well_formed(token, self.opaque_prefix):
            with self.database.transaction() as connection:
                record = AccessTokenRepository(connection).by_hashes(self.hasher.candidates(token))
                if (
                    record is not None
                    and record.subject_kind is SubjectKind.CLIENT
                    and record.credential_id is not None
                    and record.expires_at > self.clock.now()
                ):
                    check_binding(self.dpop, token, record.dpop_jkt, dpop)
                    credential = CredentialRepository(connection).get(record.credential_id)
                    return self._described(
                        connection, credential, record.org_id, " ".join(record.scopes), record.jti
                    )
        raise Unauthenticated("the access token is invalid or expired", code="invalid_token")

    @staticmethod
    def _described(
        connection: Connection, credential: Credential | None, org_id: object, scope: str, token_id: str
    ) -> ClientCaller:
        orgs = OrganizationRepository(connection)
        org = orgs.get(credential.org_id) if credential is not None else None
        if credential is None or org is None or credential.org_id != org_id:
            raise Unauthenticated("the access token's credential was deleted", code="invalid_token")
        return ClientCaller(
            credential=credential,
            org=org,
            owner=orgs.user(credential.user_id) if credential.user_id is not None else None,
            scopes=frozenset(scope.split()),
            token_id=token_id,
        )

    def _user_token(self, claims: dict[str, Any], transport: Transport, ip: str | None) -> Actor:
        client_id = str(claims.get("client_id", ""))
        with self.database.transaction() as connection:
            if AccessTokenRepository(connection).is_revoked(str(claims["jti"])):
                raise Unauthenticated("the access token was revoked", code="invalid_token")
            orgs = OrganizationRepository(connection)
            membership = orgs.membership(str(claims.get("org_id")), str(claims["sub"]))
            user = orgs.user(str(claims["sub"]))
        if membership is None or user is None:
            raise Unauthenticated("the token's user is no longer a member", code="invalid_token")
        if client_id.startswith(PERSONAL_CLIENT_PREFIX) and not self.personal_tokens.is_active(
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
