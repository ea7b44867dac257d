"""Client secret authentication (RFC 6749 §2.3.1): the token endpoint's hot path.

Constant-time, with no database work for a malformed ID or secret; a success notes the
credential's use (written later, in batches) and moves a hash made under an old master key
to the current one.
"""

from __future__ import annotations

from tokensmith.core import ids, policies
from tokensmith.core import secrets as secret_format
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.clock import Clock
from tokensmith.core.errors import InvalidClient
from tokensmith.core.records import Credential, Organization
from tokensmith.services.rehash import Rehasher
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.repositories.credentials import CredentialLookup

USAGE_KIND = "credential"


class CredentialAuthentication:
    _lookup: CredentialLookup
    _clock: Clock
    _hasher: secret_format.SecretHasher
    _rehasher: Rehasher
    _usage: UsageRecorder
    _prefix: str

    def authenticate(self, client_id: str, client_secret: str) -> tuple[Credential, Organization]:
        """RFC 6749 §2.3.1 client authentication, constant-time, with no early DB work for garbage.

        Unknown client IDs still run a dummy comparison, so "unknown" and "wrong secret"
        look alike from outside.
        """
        if not ids.is_client_id(client_id) or not secret_format.is_well_formed(client_secret, self._prefix):
            raise InvalidClient(detail="malformed client id or secret")
        found = self._lookup(client_id)
        if found is None:
            self._hasher.verify(client_secret, None)
            raise InvalidClient(detail="unknown client")
        credential, org = found
        if credential.auth_method is not ClientAuthMethod.CLIENT_SECRET:
            # RFC 7523 §2.2: a key-based credential authenticates with an assertion only.
            self._hasher.verify(client_secret, None)
            raise InvalidClient(detail="a private_key_jwt credential sent a secret")
        now = self._clock.now()
        ok = self._hasher.verify(client_secret, credential.secret_hash)
        if (
            not ok
            and credential.previous_secret_hash is not None
            and credential.previous_secret_expires_at is not None
            and now < credential.previous_secret_expires_at
        ):
            ok = self._hasher.verify(client_secret, credential.previous_secret_hash)
        if not ok:
            raise InvalidClient(detail="wrong secret")
        policies.check_client_allowed(org.policy, credential.kind)
        self._usage.note(USAGE_KIND, credential.id, now)
        # Success only: a hash made under an old master key moves to the current one (deferred).
        self._rehasher.credential_used(credential, client_secret, now)
        return credential, org
