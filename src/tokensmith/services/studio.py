"""The dashboard's "Generate Token" (seed 000): a token for a credential, minted without its secret.

The signed-in user proves who they are with their session, not with the client secret, so the
same rules as changing the credential apply: it must be visible to them
(:func:`~tokensmith.core.permissions.can_see_credential`) and theirs to change
(:func:`~tokensmith.core.permissions.can_change_credential` — organisation credentials only for
owners and admins). The token then comes from the same guarded entry point as the
client-credentials endpoint (RFC 6749 §4.4), :class:`~tokensmith.services.issuance.TokenIssuance`:
the organisation's policy, the owner's role and the scope rules apply alike, and an audit event
names its ``jti`` only. A refusal there is a :class:`~tokensmith.core.errors.Forbidden` page
here (``policy_forbids``), never a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from tokensmith.core.actors import Actor
from tokensmith.core.errors import Forbidden, OAuthError
from tokensmith.core.records import Credential, TokenFormat
from tokensmith.services.credentials import CredentialService
from tokensmith.services.issuance import TokenIssuance
from tokensmith.services.minting import IssuedToken


@dataclass(frozen=True)
class GeneratedToken:
    credential: Credential
    issued: IssuedToken
    #: The JWT's decoded header and claims (empty for opaque tokens).
    header: dict[str, Any]
    claims: dict[str, Any]


class TokenStudio:
    def __init__(self, credentials: CredentialService, issuance: TokenIssuance) -> None:
        self._credentials = credentials
        self._issuance = issuance

    def generate(self, actor: Actor, credential_ref: str) -> GeneratedToken:
        # Visibility (404 if not theirs to see) and the right to change it (403).
        credential, org = self._credentials.for_issuance(actor, credential_ref)
        try:
            issued = self._issuance.for_credential(credential, org, frozenset(), actor=actor)
        except OAuthError as exc:
            raise Forbidden(f"no token: {exc.description}", code="policy_forbids") from None
        header: dict[str, Any] = {}
        claims: dict[str, Any] = {}
        if credential.token_format is TokenFormat.JWT:
            header = dict(jwt.get_unverified_header(issued.access_token))
            claims = jwt.decode(issued.access_token, options={"verify_signature": False})
        return GeneratedToken(credential, issued, header, claims)
