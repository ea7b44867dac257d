"""Revoking secrets found in public: ``POST /api/credentials/revoke-leaked``.

In the style of GitHub's credential-revocation API and of secret-scanning partner programmes: a
scanner (or anyone) that finds Tokensmith secrets in public code sends up to
:data:`MAX_CANDIDATES` strings, without authenticating. Each string that has a Tokensmith prefix
and a valid checksum (:mod:`tokensmith.token_format`) and matches a live secret is revoked at
once, through each kind's own revocation, so every process stops accepting it at its next
lookup (:mod:`tokensmith.storage.change_feed`):

* a **client secret** is disabled — the credential stays, its secret no longer authenticates
  until it is regenerated; if the leaked one is the current secret, a grace-period previous one
  dies with it (it is older, and the credential is compromised either way); if it is the grace
  secret, only that one dies;
* a **personal access token** is revoked, as its owner would;
* an **opaque access token** is revoked, as RFC 7009 revocation does.

Each revocation is audited as ``secret.leak_revoked`` with the reported ``source``, in the
organisation of the secret, which makes it a webhook event for the organisation's endpoints, and
names the owner (``owner_user_id``) so the owner and the admins are told.

The caller learns nothing: the answer is the same whatever matched. Every string is hashed under
every master key, matched or not, and the lookups are one query per kind of secret for the whole
report, so the work depends on the report's size, not on its matches.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.services.audit import AuditLog, Target
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.storage.repositories.credentials import CredentialRepository
from tokensmith.storage.repositories.leaks import LeakRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenRepository

#: Strings one report may hold (GitHub's revocation API takes 1,000 too).
MAX_CANDIDATES = 1000
MAX_SOURCE_LENGTH = 100
#: What a disabled client secret's stored hash starts with: tagged with no master key id, so
#: :meth:`SecretHasher.verify` never accepts anything against it.
DISABLED_TAG = "disabled:"

#: The audit action of every secret revoked because it was reported leaked.
LEAK_REVOKED = "secret.leak_revoked"


@dataclass(frozen=True)
class LeakReport:
    """What a report did (for the CLI, logs and tests; never shown to the reporter)."""

    received: int
    client_secrets: int = 0
    personal_tokens: int = 0
    access_tokens: int = 0

    @property
    def revoked(self) -> int:
        return self.client_secrets + self.personal_tokens + self.access_tokens


@dataclass(frozen=True, slots=True, eq=False)
class LeakResponder:
    database: Database
    clock: Clock
    hasher: secret_format.SecretHasher
    audit: AuditLog
    _: KW_ONLY
    client_secret_prefix: str
    personal_token_prefix: str
    opaque_token_prefix: str

    @property
    def _prefixes(self) -> dict[str, str]:
        """The prefix of each kind of secret a report may hold."""
        return {
            "client_secret": self.client_secret_prefix,
            "personal_token": self.personal_token_prefix,
            "access_token": self.opaque_token_prefix,
        }

    def _kind(self, candidate: str) -> str | None:
        for kind, prefix in self._prefixes.items():
            if secret_format.is_well_formed(candidate, prefix):
                return kind
        return None

    def revoke(self, candidates: Sequence[str], *, source: str, ip: str | None = None) -> LeakReport:
        """Revoke every live secret among ``candidates`` (at most :data:`MAX_CANDIDATES` strings)."""
        if len(candidates) > MAX_CANDIDATES:
            raise ValueError(f"at most {MAX_CANDIDATES} strings per report")
        hashes: dict[str, list[str]] = {kind: [] for kind in self._prefixes}
        for candidate in candidates:
            # Hash every string (garbage too, a fixed-length stand-in for the over-long), so the
            # work per string does not depend on what it is.
            bounded = candidate if len(candidate) <= secret_format.MAX_PRESENTED_TOKEN_LENGTH else ""
            stored = self.hasher.candidates(bounded)
            kind = self._kind(bounded)
            if kind is not None:
                hashes[kind].extend(stored)
        actor = Actor(method=AuthMethod.SYSTEM, transport=Transport.API, ip=ip, extra={"source": source})
        now = self.clock.now()
        with self.database.transaction() as connection:
            leaks = LeakRepository(connection)
            found_secrets = leaks.client_secrets(hashes["client_secret"])
            found_tokens = leaks.personal_tokens(hashes["personal_token"])
            found_access = leaks.access_tokens(hashes["access_token"], now)
            wanted = set(hashes["client_secret"])
            credentials = CredentialRepository(connection)
            for credential in found_secrets:
                current_leaked = credential.secret_hash in wanted
                credentials.replace_secret(
                    credential.credential_id,
                    secret_hash=DISABLED_TAG + secrets.token_hex(16)
                    if current_leaked
                    else credential.secret_hash,
                    secret_hint="(disabled: leaked)" if current_leaked else credential.secret_hint,
                    previous_secret_hash=None,
                    previous_secret_expires_at=None,
                    now=now,
                    expected_secret_hash=credential.secret_hash,
                )
                details = {
                    "kind": "client_secret",
                    "source": source,
                    "secret": "current" if current_leaked else "grace_period",
                    "owner_user_id": credential.user_id,
                }
                target = Target(credential.org_id, "credential", credential.client_id, credential.name)
                self.audit.about(connection, actor, LEAK_REVOKED, target, details)
            personal = PersonalTokenRepository(connection)
            for token in found_tokens:
                if not personal.revoke(token.id, now):
                    continue
                details = {
                    "kind": "personal_token",
                    "source": source,
                    "name": token.name,
                    "owner_user_id": token.user_id,
                }
                target = Target(token.org_id, "personal_token", token.id, token.token_hint)
                self.audit.about(connection, actor, LEAK_REVOKED, target, details)
            access = AccessTokenRepository(connection)
            for record in found_access:
                access.delete_by_hash(record.token_hash)
                details = {"kind": "access_token", "source": source, "client_id": record.client_id}
                target = Target(record.org_id, "access_token", record.jti, record.client_id)
                self.audit.about(connection, actor, LEAK_REVOKED, target, details)
        return LeakReport(len(candidates), len(found_secrets), len(found_tokens), len(found_access))
