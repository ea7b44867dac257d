"""The authorization endpoint (OAuth 2.1 draft §4.1.1–§4.1.2, RFC 6749 §4.1, RFC 7636, RFC 9207).

Transport-free: the dashboard's page adapter hands over the query (or the consent form) as
``name -> [values]`` and gets back either an :class:`AuthorizationRequest` to show the consent page
for, or one of two errors:

* :class:`UntrustedRequest` — the client or its redirect URI cannot be trusted (unknown client,
  missing, repeated or unregistered ``redirect_uri``): shown to the person as a page and **never**
  redirected (RFC 6749 §4.1.2.1; OAuth 2.1 draft §7.5.4: no open redirector).
* :class:`RedirectedError` — everything after the redirect URI is known good: sent back to it with
  ``error``, ``error_description``, ``state`` and ``iss`` (RFC 9207 §2).

Redirect URIs match exactly, a loopback one with any port (:mod:`tokensmith.core.redirect_uris`).
PKCE is required and ``S256`` only (:mod:`tokensmith.core.pkce`). On consent a code is created:
random (``tsc_`` + 178 bits), stored as its keyed hash, single use, one minute long, bound to the
client, redirect URI, PKCE challenge, person, organisation, scopes and resource. An organisation
whose policy refuses the client's kind (:func:`tokensmith.core.policies.client_kind_refusal`) gets
no code: the consent page says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from tokensmith.core import delegation, pkce
from tokensmith.core import redirect_uris as uri_rules
from tokensmith.core import scopes as scope_rules
from tokensmith.core import secrets as secret_format
from tokensmith.core.authorization import (
    CODE_LIFETIME_SECONDS,
    AuthorizationCode,
    PublicClient,
)
from tokensmith.core.clock import Clock
from tokensmith.core.errors import (
    AccessDenied,
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    NotFound,
    OAuthError,
    UnsupportedResponseType,
)
from tokensmith.core.policies import client_kind_refusal
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.resources import ResourceService
from tokensmith.services.sessions import ActiveSession
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.authorization import AuthorizationCodeRepository

CODE_PREFIX = "tsc_"
MAX_STATE_LENGTH = 1000
MAX_RESOURCES = 5
Params = Mapping[str, Sequence[str]]


class UntrustedRequest(Exception):
    """An authorization request whose client or redirect URI is not trusted: shown, never redirected."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


class RedirectedError(Exception):
    """An error sent back to the (verified) redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, location: str, error: OAuthError) -> None:
        super().__init__(error.description)
        self.location = location
        self.error = error


#: Finds a public client by its id (registered, or a Client ID Metadata Document).
ClientLookup = Callable[[str], PublicClient | None]


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request: the consent page is about it."""

    client: PublicClient
    redirect_uri: str
    state: str | None
    code_challenge: str
    #: What the client asked for (or its registered default when it asked for nothing).
    scopes: frozenset[str]
    resource: tuple[str, ...]

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The request again, as the consent form carries it back (re-checked on submission)."""
        fields = [
            ("response_type", "code"),
            ("client_id", self.client.client_id),
            ("redirect_uri", self.redirect_uri),
            ("code_challenge", self.code_challenge),
            ("code_challenge_method", pkce.S256),
            ("scope", scope_rules.format_scopes(self.scopes)),
        ]
        if self.state is not None:
            fields.append(("state", self.state))
        fields += [("resource", r) for r in self.resource]
        return fields


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its query (RFC 6749 §3.1.2: the existing query is kept)."""
    parts = urlsplit(uri)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _one(params: Params, name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise InvalidRequest(f"The parameter {name} is repeated.")
    return values[0] if values else None


def check_resource(values: Sequence[str]) -> tuple[str, ...]:
    """RFC 8707 §2: each ``resource`` is an absolute URI without a fragment, else ``invalid_target``."""
    if len(values) > MAX_RESOURCES:
        raise InvalidTarget(f"At most {MAX_RESOURCES} resource parameters are accepted.")
    for value in values:
        parts = urlsplit(value)
        if not parts.scheme or not parts.netloc or "#" in value or len(value) > 2000:
            raise InvalidTarget("A resource must be an absolute URI without a fragment (RFC 8707 §2).")
    return tuple(dict.fromkeys(values))


def _client_target(request: AuthorizationRequest, org_id: str | None) -> Target:
    """The public client a consent decision is about, in the audit log."""
    return Target(org_id, "oauth_client", request.client.client_id[:64], request.client.display_name[:200])


@dataclass(frozen=True, eq=False)
class AuthorizationService:
    database: Database
    clock: Clock
    hasher: secret_format.SecretHasher
    audit: AuditLog
    clients: ClientLookup
    registry: Mapping[str, str]
    issuer: str
    #: The registry each ``resource`` must name (RFC 8707 §2: ``invalid_target`` otherwise); ``None``:
    #: any well-formed URI is accepted.
    resources: ResourceService | None = None

    # -- the request ------------------------------------------------------------------
    def check(self, params: Params) -> AuthorizationRequest:
        """Check an authorization request (OAuth 2.1 draft §4.1.1), client and redirect URI first."""
        try:
            client_id = _one(params, "client_id")
            redirect_uri = _one(params, "redirect_uri")
        except InvalidRequest as exc:
            raise UntrustedRequest(exc) from None
        if not client_id:
            raise UntrustedRequest(InvalidRequest("The client_id parameter is required."))
        try:
            client = self.clients(client_id)
        except InvalidClient as exc:  # a metadata document that cannot be used
            raise UntrustedRequest(exc) from None
        if client is None:
            raise UntrustedRequest(InvalidRequest("The client is unknown to this server."))
        if not redirect_uri:
            raise UntrustedRequest(InvalidRequest("The redirect_uri parameter is required."))
        if not uri_rules.find_match(client.redirect_uris, redirect_uri):
            raise UntrustedRequest(InvalidRequest("The redirect_uri is not registered for this client."))
        try:
            state = _one(params, "state")
        except InvalidRequest as exc:
            raise RedirectedError(self._error_location(redirect_uri, None, exc), exc) from None
        if state is not None and len(state) > MAX_STATE_LENGTH:
            error = InvalidRequest(f"state may have at most {MAX_STATE_LENGTH} characters.")
            raise RedirectedError(self._error_location(redirect_uri, None, error), error)
        try:
            return self._check_rest(params, client, redirect_uri, state)
        except OAuthError as exc:
            raise RedirectedError(self._error_location(redirect_uri, state, exc), exc) from None

    def _check_rest(
        self, params: Params, client: PublicClient, redirect_uri: str, state: str | None
    ) -> AuthorizationRequest:
        response_type = _one(params, "response_type")
        if not response_type:
            raise InvalidRequest("The response_type parameter is required.")
        if response_type != "code":
            raise UnsupportedResponseType("Only response_type=code is supported (OAuth 2.1).")
        challenge = pkce.check_challenge(
            _one(params, "code_challenge"), _one(params, "code_challenge_method")
        )
        requested = scope_rules.parse(_one(params, "scope")) or client.scope
        if not requested:
            raise InvalidScope("The scope parameter is required: this client registered no default scope.")
        unknown = scope_rules.unknown(requested, self.registry)
        if unknown:
            raise InvalidScope(f"Unknown scope(s): {' '.join(unknown)[:200]}")
        resource = check_resource(params.get("resource") or [])
        if self.resources is not None:
            for value in resource:
                self.resources.resolve([value])  # an unknown one is invalid_target, before consent
        return AuthorizationRequest(client, redirect_uri, state, challenge, requested, resource)

    def _error_location(self, redirect_uri: str, state: str | None, error: OAuthError) -> str:
        values = {"error": error.error, "error_description": error.description}
        if state is not None:
            values["state"] = state
        values["iss"] = self.issuer  # RFC 9207 §2: errors carry it too
        return with_query(redirect_uri, values)

    # -- the consent page -------------------------------------------------------------
    def grantable(self, request: AuthorizationRequest, role: Role) -> frozenset[str]:
        """What the person may grant of what was asked: a plain member never admin-only scopes."""
        return delegation.grantable(role, request.scopes)

    def refusal(self, request: AuthorizationRequest, org: Organization) -> str | None:
        """Why ``org``'s policy does not allow this kind of client, or ``None``."""
        return client_kind_refusal(org.policy, request.client)

    def deny(self, request: AuthorizationRequest, session: ActiveSession) -> str:
        """RFC 6749 §4.1.2.1: the person said no; audited as ``authorization.denied``."""
        with self.database.transaction() as connection:
            org_id = session.org.id if session.org else None
            self.audit.about(
                connection, session.actor(), "authorization.denied", _client_target(request, org_id)
            )
        error = AccessDenied("The person denied the request.")
        return self._error_location(request.redirect_uri, request.state, error)

    def approve(
        self,
        request: AuthorizationRequest,
        session: ActiveSession,
        org_id: str,
        chosen: frozenset[str],
    ) -> str:
        """The person consented, in ``org_id``, to ``chosen`` scopes: a code, and where to send it.

        ``chosen`` must be a non-empty part of what the person may grant there (the form offers
        nothing else; a forged one is refused, not widened).
        """
        org, role = self._membership(session, org_id)
        refused = self.refusal(request, org)
        if refused is not None:
            raise AccessDenied(refused)
        allowed = self.grantable(request, role)
        beyond = sorted(chosen - allowed)
        if beyond:
            raise InvalidScope(f"scope(s) not grantable here: {' '.join(beyond)[:200]}")
        if not chosen:
            raise InvalidScope("choose at least one permission, or deny")
        now = self.clock.now()
        plain = secret_format.generate(CODE_PREFIX)
        code = AuthorizationCode(
            code_hash=self.hasher.hash(plain),
            client_id=request.client.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            user_id=session.user.id,
            org_id=org.id,
            scopes=chosen,
            resource=request.resource,
            auth_time=now,
            created_at=now,
            expires_at=now + timedelta(seconds=CODE_LIFETIME_SECONDS),
        )
        with self.database.transaction() as connection:
            codes = AuthorizationCodeRepository(connection)
            # Expired codes are forgotten a day later: long enough to recognise a replay.
            codes.purge_expired(now - timedelta(days=1))
            codes.insert(code)
            details = {"scope": scope_rules.format_scopes(chosen), "redirect_uri": request.redirect_uri[:500]}
            self.audit.about(
                connection, session.actor(), "authorization.granted", _client_target(request, org.id), details
            )
        values = {"code": plain}
        if request.state is not None:
            values["state"] = request.state
        values["iss"] = self.issuer
        return with_query(request.redirect_uri, values)

    @staticmethod
    def _membership(session: ActiveSession, org_id: str) -> tuple[Organization, Role]:
        for org, role in session.memberships:
            if org.id == org_id:
                return org, role
        raise NotFound("no such organisation")
