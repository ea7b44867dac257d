"""The dashboard's "Generate Token" (seed 000): a token for a credential, minted without its secret.

The signed-in user proves who they are with their session, not with the client secret, so the
same rules as changing the credential apply: it must be visible to them
(:func:`~tokensmith.core.permissions.can_see_credential`) and theirs to change
(:func:`~tokensmith.core.permissions.can_change_credential` — organisation credentials only for
owners and admins). The token comes from the same :class:`TokenMinter` with the same grant as
the client-credentials endpoint (RFC 6749 §4.4), and an audit event names its ``jti`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from tokensmith.core import permissions
from tokensmith.core.actors import Actor
from tokensmith.core.errors import Forbidden
from tokensmith.core.records import Credential, TokenFormat
from tokensmith.services.audit import AuditLog
from tokensmith.services.credentials import CredentialService
from tokensmith.services.minting import Grant, IssuedToken, TokenMinter
from tokensmith.storage.database import Database


@dataclass(frozen=True)
class GeneratedToken:
    credential: Credential
    issued: IssuedToken
    #: The JWT's decoded header and claims (empty for opaque tokens).
    header: dict[str, Any]
    claims: dict[str, Any]


class TokenStudio:
    def __init__(
        self, database: Database, credentials: CredentialService, minter: TokenMinter, audit: AuditLog
    ) -> None:
        self._db = database
        self._credentials = credentials
        self._minter = minter
        self._audit = audit

    def generate(self, actor: Actor, credential_ref: str) -> GeneratedToken:
        permissions.require_scope(actor, "credentials:write")
        credential = self._credentials.get(actor, credential_ref)  # visibility: 404 if not theirs to see
        if not permissions.can_change_credential(actor, credential):
            raise Forbidden(
                "only organisation owners and admins can generate tokens for organisation credentials"
            )
        issued = self._minter.mint(Grant.for_credential(credential, credential.scopes))
        with self._db.transaction() as connection:
            self._audit.record(
                connection,
                actor,
                "credential.token_generated",
                org_id=credential.org_id,
                target_kind="credential",
                target_id=credential.client_id,
                target_hint=credential.name,
                details={"jti": issued.jti, "scope": issued.scope, "expires_in": issued.expires_in},
            )
        header: dict[str, Any] = {}
        claims: dict[str, Any] = {}
        if credential.token_format is TokenFormat.JWT:
            header = dict(jwt.get_unverified_header(issued.access_token))
            claims = jwt.decode(issued.access_token, options={"verify_signature": False})
        return GeneratedToken(credential, issued, header, claims)
