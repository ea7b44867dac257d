"""Token introspection (RFC 7662) and revocation (RFC 7009).

Introspection answers ``{"active": false}`` and nothing else for anything unknown, expired,
revoked, malformed, or belonging to another organisation than the caller's (§2.2). A personal
credential's token answers with ``owner_sub`` (the member it acts for), JWT or opaque alike.
Revocation answers 200 whether or not the token was known (RFC 7009 §2.2).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock, epoch
from tokensmith.core.delegation import OWNER_CLAIM
from tokensmith.core.errors import UnauthorizedClient
from tokensmith.core.records import Credential
from tokensmith.core.scopes import INTROSPECT_ALL_SCOPE
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.minting import TokenMinter
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.storage.repositories.credentials import CredentialRepository

INACTIVE: dict[str, Any] = {"active": False}
PERSONAL_CLIENT_PREFIX = "pat:"


class PersonalTokens(Protocol):
    """What introspection needs from personal access tokens (implemented by their service)."""

    def introspect(self, token: str, org_id: str | None) -> dict[str, Any] | None:
        """Active claims of a personal token in ``org_id`` (any organisation for ``None``), or ``None``."""
        ...

    def is_active(self, personal_token_id: str) -> bool:
        """Whether the personal token an access token was exchanged from is still valid."""
        ...


def _sees_all(caller: Credential) -> bool:
    """A resource-server credential (operator-granted ``tokens:introspect``) serves every tenant."""
    return INTROSPECT_ALL_SCOPE in caller.scopes


def _may_see(caller: Credential, org_id: object) -> bool:
    return _sees_all(caller) or org_id == caller.org_id


@dataclass(frozen=True, eq=False)
class TokenInspector:
    """RFC 7662 introspection and RFC 7009 revocation of the tokens this server issued."""

    database: Database
    clock: Clock
    minter: TokenMinter
    hasher: secret_format.SecretHasher
    audit: AuditLog
    personal_tokens: PersonalTokens
    _: KW_ONLY
    opaque_prefix: str
    personal_prefix: str

    def introspect(self, token: str, caller: Credential) -> dict[str, Any]:
        """RFC 7662 §2.2 response for ``token`` as seen by ``caller``'s organisation."""
        if len(token) > secret_format.MAX_PRESENTED_TOKEN_LENGTH:
            return INACTIVE
        if token.startswith(self.personal_prefix):
            if not secret_format.is_well_formed(token, self.personal_prefix):
                return INACTIVE
            return (
                self.personal_tokens.introspect(token, None if _sees_all(caller) else caller.org_id)
                or INACTIVE
            )
        if token.startswith(self.opaque_prefix):
            return self._opaque(token, caller)
        return self._jwt(token, caller)

    def _opaque(self, token: str, caller: Credential) -> dict[str, Any]:
        if not secret_format.is_well_formed(token, self.opaque_prefix):
            return INACTIVE
        owner: str | None = None
        with self.database.transaction() as connection:
            record = AccessTokenRepository(connection).by_hashes(self.hasher.candidates(token))
            if record is not None and record.credential_id is not None:
                credential = CredentialRepository(connection).get(record.credential_id)
                owner = credential.user_id if credential is not None else None
        now = self.clock.now()
        if record is None or not _may_see(caller, record.org_id) or record.expires_at <= now:
            return INACTIVE
        if record.personal_token_id and not self._personal_active(record.personal_token_id):
            return INACTIVE
        answer: dict[str, Any] = {
            "active": True,
            "scope": " ".join(sorted(record.scopes)),
            "client_id": record.client_id,
            "sub": record.subject,
            "sub_kind": record.subject_kind.value,
            "org_id": record.org_id,
            "exp": epoch(record.expires_at),
            "iat": epoch(record.issued_at),
            "nbf": epoch(record.issued_at),
            "aud": record.audience or self.minter.audience,
            "iss": self.minter.issuer,
            "jti": record.jti,
            "token_type": "DPoP" if record.dpop_jkt else "Bearer",
            "token_use": "access",
        }
        if record.dpop_jkt:
            answer["cnf"] = {"jkt": record.dpop_jkt}  # RFC 9449 §6.2
        if owner is not None:
            answer[OWNER_CLAIM] = owner  # a personal credential's token: the member it acts for
        return answer

    def _jwt(self, token: str, caller: Credential) -> dict[str, Any]:
        claims = self.minter.decode(token, any_audience=True)
        if claims is None or not _may_see(caller, claims.get("org_id")):
            return INACTIVE
        with self.database.transaction() as connection:
            if AccessTokenRepository(connection).is_revoked(str(claims["jti"])):
                return INACTIVE
            client_id = str(claims.get("client_id", ""))
            if (
                claims.get("sub_kind") == "client"
                and CredentialRepository(connection).by_client_id(client_id) is None
            ):
                return INACTIVE  # the credential was deleted
        if client_id.startswith(PERSONAL_CLIENT_PREFIX) and not self._personal_active(
            client_id[len(PERSONAL_CLIENT_PREFIX) :]
        ):
            return INACTIVE
        # RFC 9449 §6.2: a DPoP-bound token introspects with its cnf and token_type DPoP.
        token_type = "DPoP" if isinstance(claims.get("cnf"), dict) else "Bearer"
        return {"active": True, "token_type": token_type, **claims}

    def _personal_active(self, personal_token_id: str) -> bool:
        return self.personal_tokens.is_active(personal_token_id)

    def revoke(self, token: str, caller: Credential, ip: str | None = None) -> None:
        """RFC 7009 §2.1: revoke ``token`` if it was issued to ``caller``.

        Unknown or foreign-organisation tokens are ignored (200, no oracle); a token of the
        same organisation issued to another client is refused with ``unauthorized_client``.
        """
        if len(token) > secret_format.MAX_PRESENTED_TOKEN_LENGTH:
            return
        now = self.clock.now()
        actor = Actor(
            method=AuthMethod.CLIENT,
            transport=Transport.OAUTH,
            org_id=caller.org_id,
            client_id=caller.client_id,
            ip=ip,
        )
        if token.startswith(self.opaque_prefix):
            if not secret_format.is_well_formed(token, self.opaque_prefix):
                return
            with self.database.transaction() as connection:
                repo = AccessTokenRepository(connection)
                record = repo.by_hashes(self.hasher.candidates(token))
                if record is None or record.org_id != caller.org_id:
                    return
                if record.client_id != caller.client_id:
                    raise UnauthorizedClient("The token was not issued to this client.")
                repo.delete_by_hash(record.token_hash)
                target = Target(record.org_id, "access_token", record.jti, caller.client_id)
                self.audit.about(connection, actor, "access_token.revoked", target, {"format": "opaque"})
            return
        claims = self.minter.decode(token, verify_exp=False, any_audience=True)
        if claims is None or claims.get("org_id") != caller.org_id:
            return
        if claims.get("client_id") != caller.client_id:
            raise UnauthorizedClient("The token was not issued to this client.")
        if int(claims["exp"]) <= epoch(now):
            return
        with self.database.transaction() as connection:
            AccessTokenRepository(connection).revoke_jti(
                str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC), now
            )
            target = Target(caller.org_id, "access_token", str(claims["jti"]), caller.client_id)
            self.audit.about(connection, actor, "access_token.revoked", target, {"format": "jwt"})

    def purge_expired(self) -> int:
        """Forget expired opaque tokens and revocations of expired JWTs (housekeeping)."""
        with self.database.transaction() as connection:
            return AccessTokenRepository(connection).purge_expired(self.clock.now())
