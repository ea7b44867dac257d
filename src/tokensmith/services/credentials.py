"""Credentials (OAuth clients, RFC 6749 §2): create, list, rename, regenerate, delete, authenticate.

A credential belongs to an organisation; a *personal* one also to a member, for whom it acts:
its scopes never exceed what that member's role may grant (:mod:`tokensmith.core.delegation`).
Its secret is shown once, after the record is committed, and kept only as a keyed hash.
Regenerating kills the old secret at once, or after a grace period during which both work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from tokensmith.core import client_keys, delegation, ids, permissions
from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.clock import Clock
from tokensmith.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
)
from tokensmith.core.labels import clean_description, clean_name
from tokensmith.core.records import Credential, CredentialKind, Organization, TokenFormat
from tokensmith.services.audit import AuditLog
from tokensmith.services.credential_authentication import USAGE_KIND, CredentialAuthentication
from tokensmith.services.credential_settings import CredentialSettings
from tokensmith.services.pages import ManagedRecords, Page
from tokensmith.services.rehash import Rehasher
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.credentials import CredentialLookup, CredentialRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository

MAX_GRACE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class CreatedCredential:
    credential: Credential
    #: The secret, shown once; empty for a ``private_key_jwt`` credential, which has none.
    client_secret: str

    @property
    def shown_secret(self) -> str | None:
        """The secret as the adapters show it: ``None`` for a key-based credential."""
        return self.client_secret or None


CredentialPage = Page[Credential]


class CredentialService(CredentialSettings, CredentialAuthentication):
    def __init__(
        self,
        database: Database,
        clock: Clock,
        hasher: secret_format.SecretHasher,
        audit: AuditLog,
        usage: UsageRecorder,
        *,
        secret_prefix: str,
        scope_registry: dict[str, str],
        default_ttl: int,
        max_ttl: int,
        key_algorithms: tuple[str, ...] = client_keys.DEFAULT_ALGORITHMS,
        require_https_jwks_uri: bool = True,
    ) -> None:
        self._db = database
        self._lookup = CredentialLookup(database)
        self._clock = clock
        self._hasher = hasher
        self._rehasher = Rehasher(hasher, usage)
        self._audit = audit
        self._usage = usage
        self._records = ManagedRecords(
            database,
            usage,
            USAGE_KIND,
            CredentialRepository,
            lambda repo, uses: repo.touch_many({id_: when for id_, (when, _ip) in uses.items()}),
        )
        self._prefix = secret_prefix
        self._registry = scope_registry
        self._default_ttl = default_ttl
        self._max_ttl = max_ttl
        self.key_algorithms = key_algorithms
        self._require_https_jwks_uri = require_https_jwks_uri

    # -- management ----------------------------------------------------------
    @property
    def default_scopes(self) -> frozenset[str]:
        """The scopes a new credential gets when none are asked for."""
        return frozenset({"api/access"} & self._registry.keys())

    def create(
        self,
        actor: Actor,
        *,
        org_id: str,
        name: str,
        kind: CredentialKind,
        user_id: str | None = None,
        scopes: list[str] | None = None,
        token_format: TokenFormat = TokenFormat.JWT,
        token_ttl: int | None = None,
        description: str = "",
        reuse_tokens: bool = False,
        auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET,
        jwks: Any = None,
        jwks_uri: str | None = None,
        require_dpop: bool = False,
    ) -> CreatedCredential:
        """A new credential. ``auth_method=private_key_jwt`` (RFC 7523 §2.2) takes exactly one of
        ``jwks`` (a JWK Set or one JWK, public keys only) or ``jwks_uri``, and makes no secret.
        ``require_dpop``: the client's token requests must carry a DPoP proof (RFC 9449 §5)."""
        permissions.require_scope(actor, "credentials:write")
        permissions.require_org(actor, org_id)
        keys, jwks_uri = self._key_material(auth_method, jwks, jwks_uri)
        name = clean_name(name)
        ttl = self._default_ttl if token_ttl is None else token_ttl
        if not 60 <= ttl <= self._max_ttl:
            raise BadRequest(f"token_ttl must be between 60 and {self._max_ttl} seconds")
        granted = permissions.check_scopes(
            self.default_scopes if scopes is None else scopes, self._registry, actor
        )
        if kind is CredentialKind.ORGANIZATION:
            permissions.require_admin(actor, "create organisation credentials", field="kind")
            user_id = None
        elif not actor.is_system:
            user_id = actor.user_id
        elif user_id is None:
            raise BadRequest("a personal credential needs a user")
        secret = secret_format.new_secret(self._hasher, self._prefix)
        now = self._clock.now()
        credential = Credential(
            id=ids.new_id(),
            client_id=ids.new_client_id(),
            org_id=org_id,
            user_id=user_id,
            name=name,
            description=clean_description(description),
            secret_hash=secret.hashed,
            # A key-based credential's secret is never shown nor accepted: not even its hint goes out.
            secret_hint=secret.hint if auth_method is ClientAuthMethod.CLIENT_SECRET else "",
            previous_secret_hash=None,
            previous_secret_expires_at=None,
            scopes=granted,
            token_format=token_format,
            token_ttl=ttl,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
            last_used_at=None,
            reuse_tokens=reuse_tokens,
            auth_method=auth_method,
            jwks=keys,
            jwks_uri=jwks_uri,
            require_dpop=require_dpop,
        )
        with self._db.transaction() as connection:
            orgs = OrganizationRepository(connection)
            org = orgs.get(org_id)
            if org is None:
                raise NotFound("no such organisation")
            permissions.check_credential_kind_allowed(org.policy, kind)
            if user_id is not None:
                owner = orgs.membership(org_id, user_id)
                if owner is None:
                    raise BadRequest("that user is not a member of the organisation")
                # A personal credential acts for its owner: never more than their role may grant.
                delegation.check_owner_may_grant(owner.role, granted)
            CredentialRepository(connection).insert(credential)
            details: dict[str, Any] = {
                "kind": kind.value,
                "scopes": sorted(granted),
                "token_format": token_format.value,
                "require_dpop": require_dpop,
            }
            if reuse_tokens:
                details["reuse_tokens"] = True
            if auth_method is ClientAuthMethod.PRIVATE_KEY_JWT:
                details |= {"auth_method": auth_method.value, "key_thumbprints": [k.thumbprint for k in keys]}
                if jwks_uri is not None:
                    details["jwks_uri"] = jwks_uri
            self._audited(connection, actor, "created", credential, credential.name, details)
        if auth_method is ClientAuthMethod.PRIVATE_KEY_JWT:
            return CreatedCredential(credential, "")  # its secret hash is never shown nor usable
        # Shown once, only now that the record is committed.
        return CreatedCredential(credential, secret.plain)

    def _key_material(
        self, auth_method: ClientAuthMethod, jwks: Any, jwks_uri: str | None
    ) -> tuple[tuple[client_keys.ClientKey, ...], str | None]:
        """The checked keys or URI of a new credential (none for a secret-based one)."""
        if auth_method is ClientAuthMethod.CLIENT_SECRET:
            if jwks is not None or jwks_uri is not None:
                raise BadRequest("jwks and jwks_uri need auth_method private_key_jwt", field="auth_method")
            return (), None
        if (jwks is None) == (jwks_uri is None):
            raise BadRequest(
                "a private_key_jwt credential needs exactly one of jwks or jwks_uri", field="jwks"
            )
        if jwks_uri is not None:
            return (), client_keys.check_jwks_uri(jwks_uri, require_https=self._require_https_jwks_uri)
        return client_keys.parse_jwks(jwks, self.key_algorithms), None

    def list(
        self,
        actor: Actor,
        *,
        org_id: str,
        kind: CredentialKind | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> CredentialPage:
        permissions.require_scope(actor, "credentials:read")
        permissions.require_org(actor, org_id)

        def read(repo: CredentialRepository, rows: int) -> list[Credential]:
            if actor.is_system:
                return repo.list(
                    org_id,
                    organization_only=kind is CredentialKind.ORGANIZATION,
                    personal_only=kind is CredentialKind.PERSONAL,
                    after_id=cursor,
                    limit=rows,
                )
            if kind is CredentialKind.PERSONAL:
                return repo.list(org_id, user_id=actor.user_id, after_id=cursor, limit=rows)
            if kind is CredentialKind.ORGANIZATION:
                return repo.list(org_id, organization_only=True, after_id=cursor, limit=rows)
            # Own personal credentials plus the organisation's, in one id-ordered page.
            mine = repo.list(org_id, user_id=actor.user_id, after_id=cursor, limit=rows)
            org_wide = repo.list(org_id, organization_only=True, after_id=cursor, limit=rows)
            return sorted(mine + org_wide, key=lambda c: c.id)[:rows]

        return self._records.read_page(read, limit)

    def get(self, actor: Actor, credential_ref: str) -> Credential:
        permissions.require_scope(actor, "credentials:read")
        return self._records.one(lambda repo: self._visible(repo, actor, credential_ref))

    def for_issuance(self, actor: Actor, credential_ref: str) -> tuple[Credential, Organization]:
        """A credential the actor may change, with its organisation and owner's role, read by the
        token endpoint's own lookup — for :class:`~tokensmith.services.issuance.TokenIssuance`."""
        permissions.require_scope(actor, "credentials:write")
        with self._db.transaction() as connection:
            credential = self._changeable(CredentialRepository(connection), actor, credential_ref)
        found = self._lookup(credential.client_id)
        if found is None:
            raise NotFound("no such credential")
        return found

    def rename(
        self, actor: Actor, credential_ref: str, *, name: str | None, description: str | None
    ) -> Credential:
        permissions.require_scope(actor, "credentials:write")
        with self._db.transaction() as connection:
            repo = CredentialRepository(connection)
            credential = self._changeable(repo, actor, credential_ref)
            new_name = clean_name(name) if name is not None else credential.name
            new_description = (
                clean_description(description) if description is not None else credential.description
            )
            now = self._clock.now()
            repo.rename(credential.id, new_name, new_description, now)
            details = {"old_name": credential.name, "name": new_name}
            self._audited(connection, actor, "renamed", credential, new_name, details)
        return replace(credential, name=new_name, description=new_description, updated_at=now)

    def regenerate(self, actor: Actor, credential_ref: str, *, grace_seconds: int = 0) -> CreatedCredential:
        """New secret; the old one dies now, or after ``grace_seconds`` (both work meanwhile).

        Compare-and-set on the secret hash read in this transaction: of regenerations that race
        (they read the same secret), exactly one installs its secret and answers; the others are
        409 ``conflict`` with nothing written — on SQLite and PostgreSQL alike (a PostgreSQL
        ``UPDATE`` waits for the winner's row lock, then re-checks the condition)."""
        permissions.require_scope(actor, "credentials:write")
        if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
            raise BadRequest(f"grace_seconds must be between 0 and {MAX_GRACE_SECONDS}")
        secret = secret_format.new_secret(self._hasher, self._prefix)
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = CredentialRepository(connection)
            refusal = "this credential authenticates with private_key_jwt: it has keys, not a secret"
            credential = self._changeable_using(
                repo, actor, credential_ref, ClientAuthMethod.CLIENT_SECRET, refusal
            )
            previous_hash = credential.secret_hash if grace_seconds else None
            previous_until = now + timedelta(seconds=grace_seconds) if grace_seconds else None
            updated = replace(
                credential,
                secret_hash=secret.hashed,
                secret_hint=secret.hint,
                previous_secret_hash=previous_hash,
                previous_secret_expires_at=previous_until,
                updated_at=now,
            )
            installed = repo.replace_secret(
                credential.id,
                secret_hash=updated.secret_hash,
                secret_hint=updated.secret_hint,
                previous_secret_hash=previous_hash,
                previous_secret_expires_at=previous_until,
                now=now,
                expected_secret_hash=credential.secret_hash,
            )
            if not installed:
                # Compare-and-set lost: another regeneration replaced the secret after we read it.
                # Answering 200 would show a secret that never works.
                raise Conflict("the secret was regenerated by another request meanwhile; reload and retry")
            details = {"grace_seconds": grace_seconds}
            self._audited(connection, actor, "secret_regenerated", credential, secret.hint, details)
        return CreatedCredential(updated, secret.plain)

    def delete(self, actor: Actor, credential_ref: str) -> Credential:
        """Delete the credential; its opaque tokens go with it and its JWTs stop introspecting active."""
        permissions.require_scope(actor, "credentials:write")
        with self._db.transaction() as connection:
            repo = CredentialRepository(connection)
            credential = self._changeable(repo, actor, credential_ref)
            repo.delete(credential.id)
            self._audited(connection, actor, "deleted", credential, credential.name)
        return credential
