"""``private_key_jwt`` client authentication at the token endpoint (RFC 7523 §2.2, §3;
RFC 7521 §4.2; OpenID Connect Core §9).

The client sends ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``
and a ``client_assertion`` it signed with a private key whose public half its credential holds
(a JWK Set, or the one at its ``jwks_uri``). The credential is the one named by ``iss``/``sub``
(a ``client_id`` sent beside it must be the same). Checked in this order, and any failure is the
same ``invalid_client`` from outside:

1. the header's ``alg`` is one of the accepted asymmetric algorithms (never ``none`` or ``HS*``);
2. the credential exists and authenticates with ``private_key_jwt`` (a secret-based credential
   may not send an assertion);
3. the signature verifies with one of its keys: the one whose ``kid`` the header names, or each
   key of the right type in turn when the header names none;
4. the claims (:mod:`tokensmith.core.client_assertion`): ``iss``, ``sub``, ``aud``, ``exp`` within
   the configured lifetime, ``nbf``/``iat``, ``jti``;
5. the organisation's policy still admits the credential's kind;
6. the ``jti`` was never accepted before for this client, across processes (stored until ``exp``).
"""

from __future__ import annotations

import time
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import jwt
from jwt.types import Options

from tokensmith.core import ids, policies
from tokensmith.core.client_assertion import MAX_ASSERTION_LENGTH, check_claims, refused
from tokensmith.core.client_keys import ClientAuthMethod, ClientKey
from tokensmith.core.clock import Clock
from tokensmith.core.records import Credential, Organization
from tokensmith.services.remote_jwks import RemoteKeySets
from tokensmith.services.usage import UsageRecorder
from tokensmith.settings import Settings
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.assertion_ids import AssertionIdRepository
from tokensmith.storage.repositories.credentials import CredentialLookup

#: How often (seconds) a process deletes the ids of expired assertions.
PURGE_EVERY_SECONDS = 300.0
USAGE_KIND = "credential"

_SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}


@dataclass(eq=False)
class ClientAssertionVerifier:
    database: Database
    clock: Clock
    usage: UsageRecorder
    remote: RemoteKeySets
    _: KW_ONLY
    algorithms: tuple[str, ...]
    audiences: frozenset[str]
    max_lifetime: int
    _lookup: CredentialLookup = field(init=False, repr=False)
    _next_purge: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._lookup = CredentialLookup(self.database)

    def verify(self, assertion: str, client_id: str | None) -> tuple[Credential, Organization]:
        """The credential (and organisation) that signed ``assertion``, or ``invalid_client``."""
        if not assertion or len(assertion) > MAX_ASSERTION_LENGTH:
            raise refused("missing or too long")
        try:
            header = jwt.get_unverified_header(assertion)
            unverified: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise refused("not a JWS compact serialization") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise refused(f"alg {str(alg)[:20]!r} is not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise refused("kid is not a string")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or not ids.is_client_id(issuer):
            raise refused("iss is not a client ID")
        if client_id is not None and client_id != issuer:
            raise refused("client_id differs from the assertion's iss")
        found = self._lookup(issuer)
        if found is None:
            raise refused("unknown client")
        credential, org = found
        if credential.auth_method is not ClientAuthMethod.PRIVATE_KEY_JWT:
            raise refused("the credential authenticates with a secret, not an assertion")
        claims = self._verified(assertion, alg, kid, self._keys(credential, kid))
        now = self.clock.now()
        checked = check_claims(
            claims,
            client_id=credential.client_id,
            audiences=self.audiences,
            now=int(now.timestamp()),
            max_lifetime=self.max_lifetime,
        )
        policies.check_client_allowed(org.policy, credential.kind)
        expires_at = type(now).fromtimestamp(checked.expires_at, now.tzinfo)
        with self.database.transaction() as connection:
            repo = AssertionIdRepository(connection)
            if not repo.claim(credential.client_id, checked.jti, expires_at=expires_at, now=now):
                raise refused("replayed jti")
            if time.monotonic() >= self._next_purge:
                self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
                repo.purge(now)
        self.usage.note(USAGE_KIND, credential.id, now)
        return credential, org

    def _keys(self, credential: Credential, kid: str | None) -> tuple[ClientKey, ...]:
        if credential.jwks_uri:
            return self.remote.keys(credential.jwks_uri, kid)
        return credential.jwks

    @staticmethod
    def _verified(assertion: str, alg: str, kid: str | None, keys: tuple[ClientKey, ...]) -> dict[str, Any]:
        """The payload, once the signature verifies with one of ``keys`` (RFC 7515 §5.2)."""
        candidates = [k for k in keys if k.can_verify(alg) and (kid is None or k.kid == kid)]
        for key in candidates:
            try:
                public = jwt.PyJWK(dict(key.jwk), algorithm=alg).key
                claims: dict[str, Any] = jwt.decode(
                    assertion, public, algorithms=[alg], options=_SIGNATURE_ONLY
                )
            except jwt.PyJWTError:
                continue
            return claims
        raise refused("no key of the credential verifies the signature")


def assertion_audiences(settings: Settings, issuer: str) -> tuple[str, ...]:
    """RFC 7523 §3 item 3: the issuer, or the URL of a token endpoint this deployment serves."""
    base = issuer.rstrip("/")
    audiences = [issuer, f"{base}/oauth2/token"]
    if settings.dialect_oauth_form:
        audiences.append(f"{base}/api/oauth/token")
    return tuple(audiences)


def build_client_assertions(
    settings: Settings,
    issuer: str,
    database: Database,
    clock: Clock,
    usage: UsageRecorder,
    algorithms: tuple[str, ...],
) -> ClientAssertionVerifier:
    """The verifier, its remote key sets following the deployment's mode (loopback and plain
    ``http`` JWKS URIs only in development)."""
    remote = RemoteKeySets(
        algorithms, allow_loopback=not settings.is_production, require_https=settings.is_production
    )
    return ClientAssertionVerifier(
        database,
        clock,
        usage,
        remote,
        algorithms=algorithms,
        audiences=frozenset(assertion_audiences(settings, issuer)),
        max_lifetime=settings.client_assertion_max_lifetime_seconds,
    )
