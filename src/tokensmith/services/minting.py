"""Minting access tokens: RFC 9068 JWTs or opaque (seed 004) tokens.

JWT header ``{"alg", "typ": "at+jwt", "kid"}`` (RFC 9068 §2.1); claims per RFC 9068 §2.2 plus
seed 000's ``token_use``/``version``/``auth_time``, and ``org_id``/``sub_kind`` so that a
client's token can never pass as a user's. A personal credential's token also names the member
it acts for in ``owner_sub`` (:mod:`tokensmith.core.delegation`); ``sub_kind`` stays ``client``.

Mint only through :class:`tokensmith.services.issuance.TokenIssuance`, which applies the
organisation's policy and narrows scopes first.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt

from tokensmith.core import secrets as secret_format
from tokensmith.core.clock import Clock, epoch
from tokensmith.core.delegation import OWNER_CLAIM
from tokensmith.core.records import AccessTokenRecord, Credential, SubjectKind, TokenFormat
from tokensmith.core.scopes import format_scopes
from tokensmith.services.keyring import KeyRing
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.verify.claims import DEFAULT_LEEWAY, check_not_before
from tokensmith.verify.errors import InvalidTokenError

TOKEN_VERSION = 2


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    jti: str
    expires_at: datetime
    token_type: str = "Bearer"
    #: The authorization code flow's refresh token (RFC 6749 §5.1), issued with this access token.
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Grant:
    """Everything a token says about whom it was issued to."""

    subject: str
    subject_kind: SubjectKind
    org_id: str
    client_id: str
    scopes: frozenset[str]
    ttl: int
    token_format: TokenFormat
    credential_id: str | None = None
    personal_token_id: str | None = None
    auth_time: datetime | None = None
    #: The member a personal credential acts for (the ``owner_sub`` claim).
    owner: str | None = None
    #: The resource the token is for (RFC 8707 §2): its ``aud``. ``None``: the deployment's
    #: default audience (``TOKENSMITH_AUDIENCE``, the platform API).
    audience: str | None = None
    #: RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (``cnf.jkt``).
    jkt: str | None = None

    @classmethod
    def for_credential(cls, credential: Credential, scopes: frozenset[str], jkt: str | None = None) -> Grant:
        """RFC 6749 §4.4: a token about the client itself, on the credential's format and lifetime;
        a personal credential's token names its owner."""
        return cls(
            subject=credential.client_id,
            subject_kind=SubjectKind.CLIENT,
            org_id=credential.org_id,
            client_id=credential.client_id,
            scopes=scopes,
            ttl=credential.token_ttl,
            token_format=credential.token_format,
            credential_id=credential.id,
            owner=credential.user_id,
            jkt=jkt,
        )


@dataclass(frozen=True, eq=False)
class TokenMinter:
    """Turns a :class:`Grant` into a signed JWT, or an opaque token stored as its keyed hash."""

    database: Database
    clock: Clock
    keyring: KeyRing
    hasher: secret_format.SecretHasher
    _: KW_ONLY
    issuer: str
    audience: str
    opaque_prefix: str

    def mint(self, grant: Grant) -> IssuedToken:
        now = self.clock.now()
        expires_at = now + timedelta(seconds=grant.ttl)
        jti = str(uuid.uuid4())
        scope = format_scopes(grant.scopes)
        if grant.token_format is TokenFormat.OPAQUE:
            token = secret_format.generate(self.opaque_prefix)
            with self.database.transaction() as connection:
                AccessTokenRepository(connection).insert(
                    AccessTokenRecord(
                        token_hash=self.hasher.hash(token),
                        jti=jti,
                        org_id=grant.org_id,
                        credential_id=grant.credential_id,
                        personal_token_id=grant.personal_token_id,
                        client_id=grant.client_id,
                        subject=grant.subject,
                        subject_kind=grant.subject_kind,
                        scopes=grant.scopes,
                        issued_at=now,
                        expires_at=expires_at,
                        audience=grant.audience,
                        dpop_jkt=grant.jkt,
                    )
                )
        else:
            token = self._sign(self.claims(grant, now, expires_at, jti, scope))
        return IssuedToken(
            access_token=token,
            expires_in=grant.ttl,
            scope=scope,
            jti=jti,
            expires_at=expires_at,
            # RFC 9449 §5: a DPoP-bound token's type is DPoP.
            token_type="DPoP" if grant.jkt is not None else "Bearer",
        )

    def claims(
        self, grant: Grant, now: datetime, expires_at: datetime, jti: str, scope: str | None = None
    ) -> dict[str, Any]:
        iat = epoch(now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": grant.audience or self.audience,
            "exp": epoch(expires_at),
            "iat": iat,
            "nbf": iat,
            "auth_time": epoch(grant.auth_time) if grant.auth_time else iat,
            "jti": jti,
            "client_id": grant.client_id,
            "scope": scope if scope is not None else format_scopes(grant.scopes),
            "token_use": "access",
            "version": TOKEN_VERSION,
            "org_id": grant.org_id,
            "sub_kind": grant.subject_kind.value,
        }
        if grant.owner is not None:
            claims[OWNER_CLAIM] = grant.owner
        if grant.jkt is not None:
            claims["cnf"] = {"jkt": grant.jkt}  # RFC 9449 §6.1
        return claims

    def _sign(self, claims: dict[str, Any]) -> str:
        return self.keyring.signing_key().sign(claims)

    def decode(
        self,
        token: str,
        *,
        verify_exp: bool = True,
        audiences: Collection[str] | None = None,
        any_audience: bool = False,
    ) -> dict[str, Any] | None:
        """Our own JWT, checked (signature, issuer, audience, typ); ``None`` if not ours or invalid.

        The ``aud`` must be one of ``audiences`` (default: the deployment's default audience);
        ``any_audience`` accepts whatever resource we issued it for (introspection reports it)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        if not isinstance(kid, str) or str(header.get("typ", "")).lower() != "at+jwt":
            return None
        found = self.keyring.verification_key(kid)
        if found is None:
            return None
        public_key, algorithm = found
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                public_key,
                # Only the algorithm of the key the kid names, never one chosen by the header.
                algorithms=[algorithm],
                audience=None if any_audience else list(audiences or (self.audience,)),
                issuer=self.issuer,
                # Time is checked below against the injected clock.
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": not any_audience,
                    "require": ["exp", "iat", "jti", "sub", "aud"],
                },
            )
        except jwt.PyJWTError:
            return None
        if (
            verify_exp
            and not isinstance(claims.get("exp"), int)
            or (verify_exp and claims["exp"] <= epoch(self.clock.now()))
        ):
            return None
        if verify_exp:
            # nbf / iat: the very rule and leeway resource servers apply (tokensmith.verify).
            try:
                check_not_before(claims, now=self.clock.now().timestamp(), leeway=DEFAULT_LEEWAY)
            except InvalidTokenError:
                return None
        return claims
