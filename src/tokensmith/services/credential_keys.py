"""The public keys of a ``private_key_jwt`` credential (RFC 7523 §2.2): add, remove, replace.

Rotation is adding the new key, moving the client over, then removing the old one: while both
are registered either one's assertions are accepted (RFC 7517 §5: a set may hold several keys).
A credential keeps at least one key, never more than
:data:`~tokensmith.core.client_keys.MAX_KEYS`, each checked by
:mod:`tokensmith.core.client_keys` exactly as at creation. Every change is a compare-and-set on
the set read in the same transaction (two racing changes cannot both win and lose each other's
key) and is audited as ``credential.keys_changed`` with the thumbprints before and after.
A credential registered with a ``jwks_uri`` rotates at that URI, not here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tokensmith.core import client_keys, permissions
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import ClientAuthMethod, ClientKey
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, Conflict, NotFound
from tokensmith.core.records import Credential
from tokensmith.services.audit import AuditLog
from tokensmith.services.credential_access import CredentialAccess
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.credentials import CredentialRepository


class CredentialKeyService(CredentialAccess):
    def __init__(
        self, database: Database, clock: Clock, audit: AuditLog, *, algorithms: tuple[str, ...]
    ) -> None:
        self._db = database
        self._clock = clock
        self._audit = audit
        self._algorithms = algorithms

    def add(self, actor: Actor, credential_ref: str, jwk: Any) -> Credential:
        """Register one more public key (the first step of a rotation)."""
        key = client_keys.parse_key(jwk, self._algorithms)
        return self._change(actor, credential_ref, "added", lambda keys: (*keys, key))

    def remove(self, actor: Actor, credential_ref: str, key_thumbprint: str) -> Credential:
        """Unregister the key of ``key_thumbprint`` (RFC 7638); the last key cannot go."""

        def without(keys: tuple[ClientKey, ...]) -> tuple[ClientKey, ...]:
            kept = tuple(k for k in keys if k.thumbprint != key_thumbprint)
            if len(kept) == len(keys):
                raise NotFound("the credential has no key with that thumbprint")
            if not kept:
                raise BadRequest("a credential keeps at least one key; add the new one first", field="jwks")
            return kept

        return self._change(actor, credential_ref, "removed", without)

    def replace(self, actor: Actor, credential_ref: str, jwks: Any) -> Credential:
        """Replace the whole key set (assertions signed by a key no longer in it fail at once)."""
        keys = client_keys.parse_jwks(jwks, self._algorithms)
        return self._change(actor, credential_ref, "replaced", lambda _old: keys)

    def _change(self, actor: Actor, ref: str, how: str, change: Any) -> Credential:
        permissions.require_scope(actor, "credentials:write")
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = CredentialRepository(connection)
            refusal = "this credential authenticates with a secret; it has no keys"
            credential = self._changeable_using(repo, actor, ref, ClientAuthMethod.PRIVATE_KEY_JWT, refusal)
            if credential.jwks_uri is not None:
                raise BadRequest(
                    "this credential's keys are published at its jwks_uri; rotate them there", field="jwks"
                )
            keys = client_keys.check_distinct(change(credential.jwks))
            if len(keys) > client_keys.MAX_KEYS:
                raise BadRequest(f"a credential may hold at most {client_keys.MAX_KEYS} keys", field="jwks")
            if not repo.replace_keys(credential.id, keys, expected=credential.jwks, now=now):
                raise Conflict("the keys were changed by another request meanwhile; reload and retry")
            details = {
                "change": how,
                "before": [k.thumbprint for k in credential.jwks],
                "after": [k.thumbprint for k in keys],
            }
            self._audited(connection, actor, "keys_changed", credential, credential.name, details)
        return replace(credential, jwks=keys, updated_at=now)
