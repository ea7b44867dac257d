"""A credential's settings, changed after creation: token reuse and required DPoP proofs.

Each change is a no-op when the setting already holds the value, else written with
``updated_at`` and audited (``credential.token_reuse_changed``, ``credential.dpop_changed``).
"""

from __future__ import annotations

from tokensmith.core.actors import Actor
from tokensmith.core.records import Credential
from tokensmith.services.credential_access import CredentialAccess


class CredentialSettings(CredentialAccess):
    def set_token_reuse(self, actor: Actor, credential_ref: str, *, enabled: bool) -> Credential:
        """Turn token reuse (:mod:`tokensmith.services.token_reuse`) on or off; audited as
        ``credential.token_reuse_changed``. Off takes effect at the next token request."""
        return self._set(actor, credential_ref, "token_reuse_changed", reuse_tokens=enabled)

    def set_require_dpop(self, actor: Actor, credential_ref: str, require_dpop: bool) -> Credential:
        """Require (or stop requiring) DPoP proofs on this client's token requests (RFC 9449 §5).

        Tokens already issued keep their binding (or lack of one) until they expire."""
        return self._set(actor, credential_ref, "dpop_changed", require_dpop=require_dpop)
