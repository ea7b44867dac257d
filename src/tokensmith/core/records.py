"""Plain records the storage layer returns and the services pass around (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tokensmith.core.client_keys import ClientAuthMethod, ClientKey
from tokensmith.core.roles import Role


class CredentialKind(StrEnum):
    PERSONAL = "personal"
    ORGANIZATION = "organization"


class TokenFormat(StrEnum):
    JWT = "jwt"
    OPAQUE = "opaque"


class SubjectKind(StrEnum):
    CLIENT = "client"
    USER = "user"


@dataclass(frozen=True)
class OrgPolicy:
    allow_personal_credentials: bool = True
    allow_org_credentials: bool = True
    allow_personal_tokens: bool = True
    pat_max_lifetime_days: int | None = None
    pat_inactivity_days: int | None = None
    pat_expiry_required: bool = False
    #: Tokens one credential may be issued per hour (``None``: no quota); past it the token
    #: endpoint answers 429 with ``Retry-After`` (:mod:`tokensmith.services.issuance_quota`).
    credential_tokens_per_hour: int | None = None
    #: Absolute and idle lifetimes (seconds) of the refresh tokens an authorized app gets
    #: (:func:`tokensmith.core.policies.refresh_lifetimes`); ``None``: the deployment's setting.
    refresh_token_lifetime_seconds: int | None = None
    refresh_token_idle_seconds: int | None = None
    #: Whether apps registered by RFC 7591 Dynamic Client Registration, and apps identified by a
    #: Client ID Metadata Document, may be authorized (:func:`tokensmith.core.policies.client_kind_refusal`).
    allow_registered_clients: bool = True
    allow_metadata_document_clients: bool = True


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    created_at: datetime
    policy: OrgPolicy


@dataclass(frozen=True)
class User:
    id: str
    email: str
    created_at: datetime
    has_password: bool


@dataclass(frozen=True)
class Membership:
    org_id: str
    user_id: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class Credential:
    id: str
    client_id: str
    org_id: str
    user_id: str | None
    name: str
    description: str
    secret_hash: str
    secret_hint: str
    previous_secret_hash: str | None
    previous_secret_expires_at: datetime | None
    scopes: frozenset[str]
    token_format: TokenFormat
    token_ttl: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    #: A personal credential's owner's current role in the organisation, as read by the token
    #: endpoint's lookup (``CredentialLookup``); ``None`` when not read or when the owner is no
    #: longer a member — either way a personal credential without it gets no token.
    owner_role: Role | None = None
    #: Opt-in: a token request is answered with the still-valid token already issued for the
    #: same scope and audience instead of a new one (:mod:`tokensmith.services.token_reuse`).
    reuse_tokens: bool = False
    #: ``client_secret`` (the secret above) or ``private_key_jwt`` (RFC 7523 §2.2: signed assertions,
    #: checked against ``jwks`` or the keys published at ``jwks_uri``; the secret hash is then unusable).
    auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET
    jwks: tuple[ClientKey, ...] = ()
    jwks_uri: str | None = None
    #: RFC 9449 §5: token requests without a DPoP proof are refused.
    require_dpop: bool = False

    @property
    def kind(self) -> CredentialKind:
        return CredentialKind.ORGANIZATION if self.user_id is None else CredentialKind.PERSONAL

    @property
    def key_thumbprints(self) -> list[str]:
        """The RFC 7638 thumbprints of the registered public keys (none for a secret or a JWKS URI)."""
        return [key.thumbprint for key in self.jwks]


@dataclass(frozen=True)
class SigningKeyRecord:
    kid: str
    generation: int
    algorithm: str
    public_jwk: dict[str, Any]
    private_key: str
    master_key_id: str
    created_at: datetime
    activates_at: datetime


@dataclass(frozen=True)
class PersonalTokenRecord:
    id: str
    org_id: str
    user_id: str
    name: str
    description: str
    token_hash: str
    token_hint: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None
    revoked_at: datetime | None
    created_by: str | None
    notified_7d_at: datetime | None
    notified_1d_at: datetime | None


@dataclass(frozen=True)
class AccessTokenRecord:
    """A stored opaque access token (never the token itself, only its hash)."""

    token_hash: str
    jti: str
    org_id: str
    credential_id: str | None
    personal_token_id: str | None
    client_id: str | None
    subject: str
    subject_kind: SubjectKind
    scopes: frozenset[str]
    issued_at: datetime
    expires_at: datetime
    #: The resource the token is for (RFC 8707); ``None`` is the deployment's default audience.
    audience: str | None = None
    #: RFC 9449 §6: the thumbprint of the key a DPoP-bound token is bound to (``cnf.jkt``).
    dpop_jkt: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    id: int
    occurred_at: datetime
    org_id: str | None
    actor_kind: str
    actor_id: str | None
    actor_label: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    target_hint: str | None
    ip: str | None
    transport: str
    details: dict[str, Any]
