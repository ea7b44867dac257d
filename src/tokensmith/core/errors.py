"""Every error Tokensmith raises on purpose, and the code each carries.

::

    TokensmithError
    ├── OAuthError                 RFC 6749 §5.2 / RFC 7009 / RFC 7662 / RFC 6750 error codes
    │   ├── InvalidRequest         400 invalid_request
    │   │   └── InvalidSubjectToken    RFC 8693 §2.2.2: a bad subject_token (seed 002 renders invalid_grant)
    │   ├── InvalidClient          401 invalid_client (WWW-Authenticate: Basic when Basic was used)
    │   ├── InvalidGrant           400 invalid_grant
    │   ├── UnauthorizedClient     400 unauthorized_client
    │   ├── UnsupportedGrantType   400 unsupported_grant_type
    │   ├── InvalidScope           400 invalid_scope
    │   ├── InvalidTarget          400 invalid_target (RFC 8693 §2.2.2: audience/resource not served)
    │   ├── UnsupportedResponseType 400 unsupported_response_type (RFC 6749 §4.1.2.1)
    │   ├── AccessDenied           403 access_denied (RFC 6749 §4.1.2.1; closed registration)
    │   ├── InvalidRedirectUri     400 invalid_redirect_uri (RFC 7591 §3.2.2)
    │   ├── InvalidClientMetadata  400 invalid_client_metadata (RFC 7591 §3.2.2)
    │   ├── InvalidDPoPProof       400 invalid_dpop_proof (RFC 9449 §5, §7.1)
    │   │   └── UseDPoPNonce           400 use_dpop_nonce (RFC 9449 §8, + DPoP-Nonce header)
    │   ├── SlowDown               429 slow_down — too many failed authentications
    │   ├── IssuanceQuotaExceeded  429 temporarily_unavailable — the credential's tokens-per-hour is used up
    │   └── TemporarilyUnavailable 503 temporarily_unavailable — storage is down
    ├── StorageUnavailable         the database is unreachable (→ 503 + Retry-After in either family)
    └── ProblemError               RFC 9457 problem details for the management API
        ├── BadRequest             400 validation_failed / immutable_field / scope_not_allowed /
        │                              invalid_request (malformed JSON, repeated members, token in the URL)
        ├── Unauthenticated        401 unauthenticated / invalid_token
        │   └── DPoPUnauthenticated    401 invalid_dpop_proof / use_dpop_nonce (RFC 9449 §7.1, §9)
        ├── Forbidden              403 forbidden / scope_not_allowed / policy_forbids /
        │   │                          lifetime_not_allowed / csrf_failed
        │   └── InsufficientScope  403 insufficient_scope (+ WWW-Authenticate error/scope, RFC 6750 §3.1)
        ├── NotFound               404 not_found
        ├── Conflict               409 conflict / last_owner
        └── TooManyRequests        429 rate_limited (+ Retry-After)

A storage outage on the management API is 503 ``unavailable`` (rendered from StorageUnavailable).

Each error keeps a public ``description`` (what leaves the process) apart from a private
``detail`` (what may be logged). The HTTP layer renders both families in one place.
"""

from __future__ import annotations


class TokensmithError(Exception):
    """A subclass declares its codes in its header (``class NotFound(ProblemError, code="not_found",
    title="Not found", status=404)``), so the tree reads as a table of code, title and status."""

    status: int = 500
    #: The public description when the raiser gives none.
    default_description: str = ""

    def __init_subclass__(cls, *, status: int | None = None) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status = status

    def __init__(self, description: str = "", *, detail: str = "") -> None:
        description = description or self.default_description
        super().__init__(description or type(self).__name__)
        self.description = description
        self.detail = detail


class StorageUnavailable(TokensmithError):
    """The database is unreachable. ``code``, ``title`` and the description are what the management API's
    problem and an MCP tool error tell the caller (the OAuth endpoints say ``temporarily_unavailable``)."""

    status = 503
    retry_after = 5
    code = "unavailable"
    title = "Service unavailable"
    default_description = "Storage is temporarily unavailable; retry shortly."


class OAuthError(TokensmithError):
    error: str = "server_error"
    status = 400
    #: Seconds a client should wait (429/503).
    retry_after: int | None = None

    def __init_subclass__(cls, *, error: str | None = None, status: int | None = None) -> None:
        super().__init_subclass__(status=status)
        if error is not None:
            cls.error = error


class InvalidRequest(OAuthError, error="invalid_request"): ...


class InvalidClient(OAuthError, error="invalid_client", status=401):
    default_description = "Client authentication failed."


class InvalidSubjectToken(InvalidRequest):
    """RFC 8693 §2.2.2: the ``subject_token`` is malformed, unknown, revoked or expired.

    A subclass so that seed 002's ``refresh_token`` dialect can keep answering ``invalid_grant``
    (RFC 6749 §5.2) for the same condition."""


class InvalidGrant(OAuthError, error="invalid_grant"): ...


class UnauthorizedClient(OAuthError, error="unauthorized_client"): ...


class UnsupportedGrantType(OAuthError, error="unsupported_grant_type"): ...


class InvalidScope(OAuthError, error="invalid_scope"): ...


class InvalidTarget(OAuthError, error="invalid_target"):
    """RFC 8693 §2.2.2: the ``audience`` or ``resource`` asked for is not one this server serves."""


class UnsupportedResponseType(OAuthError, error="unsupported_response_type"):
    """RFC 6749 §4.1.2.1: only ``response_type=code`` is served (OAuth 2.1 draft §4.1.1)."""


class AccessDenied(OAuthError, error="access_denied", status=403):
    """RFC 6749 §4.1.2.1: the person (or the server's policy) refused the request."""


class InvalidRedirectUri(OAuthError, error="invalid_redirect_uri"):
    """RFC 7591 §3.2.2: a registered redirect URI is not one this server accepts."""


class InvalidClientMetadata(OAuthError, error="invalid_client_metadata"):
    """RFC 7591 §3.2.2: a client metadata field is invalid."""


class InvalidDPoPProof(OAuthError, error="invalid_dpop_proof"):
    """RFC 9449 §5 / §7.1: the DPoP proof is missing (where one is required), malformed, or fails a
    §4.3 check. ``nonce``: a fresh server nonce to send as ``DPoP-Nonce`` (§8.2), when nonces are on."""

    def __init__(self, description: str = "", *, detail: str = "", nonce: str | None = None) -> None:
        super().__init__(description, detail=detail)
        self.nonce = nonce


class UseDPoPNonce(InvalidDPoPProof, error="use_dpop_nonce"):
    """RFC 9449 §8: the proof lacks the server's current nonce; ``DPoP-Nonce`` carries it."""


class SlowDown(OAuthError, error="slow_down", status=429):
    def __init__(self, retry_after: int, *, detail: str = "") -> None:
        super().__init__("Too many failed attempts; retry later.", detail=detail)
        self.retry_after = max(1, retry_after)


class IssuanceQuotaExceeded(OAuthError, error="temporarily_unavailable", status=429):
    """The credential has been issued its organisation's ``credential_tokens_per_hour``.

    HTTP 429 with ``Retry-After`` (RFC 6585 §4). The body's code is ``temporarily_unavailable``:
    RFC 6749 §5.2 defines no token-endpoint code for "too many requests", and
    ``temporarily_unavailable`` (registered by §4.1.2.1, IANA OAuth Extensions Error Registry)
    is the one standard code meaning "retry later", which is what a client must do.
    ``invalid_request`` would tell it the request itself is wrong (it is not), ``slow_down`` is
    RFC 8628's device-flow polling code, and ``invalid_client`` would make a client discard
    good credentials.
    """

    def __init__(self, retry_after: int, *, detail: str = "") -> None:
        super().__init__("This client's token quota is used up; retry later.", detail=detail)
        self.retry_after = max(1, retry_after)


class TemporarilyUnavailable(OAuthError, error="temporarily_unavailable", status=503):
    retry_after = 5

    default_description = "The service is temporarily unavailable."


class ProblemError(TokensmithError):
    """An RFC 9457 problem: ``code`` is the stable machine code clients switch on."""

    code: str = "internal_error"
    title: str = "Internal error"
    status = 500
    #: The input the problem is about (``"name"``, ``"scopes"``, ``"expiry"``…), when it is about one:
    #: forms show the message next to that field. Not rendered in problem details.
    field: str | None = None

    def __init_subclass__(
        cls, *, code: str | None = None, title: str | None = None, status: int | None = None
    ) -> None:
        super().__init_subclass__(status=status)
        if code is not None:
            cls.code = code
        if title is not None:
            cls.title = title

    def __init__(
        self, description: str = "", *, code: str | None = None, detail: str = "", field: str | None = None
    ) -> None:
        super().__init__(description or self.title, detail=detail)
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field


class BadRequest(ProblemError, code="validation_failed", title="The request is not valid", status=400): ...


class Unauthenticated(ProblemError, code="unauthenticated", title="Authentication required", status=401): ...


class DPoPUnauthenticated(Unauthenticated, code="invalid_dpop_proof"):
    """RFC 9449 §7.1 / §9: a DPoP-bound token's proof is missing, bad or lacks the nonce; rendered
    with ``WWW-Authenticate: DPoP error=…, algs=…`` and, when nonces are on, ``DPoP-Nonce``."""

    def __init__(self, description: str, *, code: str | None = None, nonce: str | None = None) -> None:
        super().__init__(description, code=code)
        self.nonce = nonce


class Forbidden(ProblemError, code="forbidden", title="Not allowed", status=403): ...


class InsufficientScope(Forbidden, code="insufficient_scope"):
    """The token lacks the management scope the operation needs (RFC 6750 §3.1 ``insufficient_scope``);
    rendered with ``WWW-Authenticate: Bearer error="insufficient_scope", scope="<scope>"``."""

    def __init__(self, scope: str, description: str = "") -> None:
        super().__init__(description or f"scope {scope} is not allowed for this token")
        self.scope = scope


class NotFound(ProblemError, code="not_found", title="Not found", status=404): ...


class Conflict(ProblemError, code="conflict", title="Conflict", status=409): ...


class PayloadTooLarge(ProblemError, code="payload_too_large", title="Payload too large", status=413):
    """RFC 9110 §15.5.14: the request body exceeds the route's cap (refused before it is read)."""


class TooManyRequests(ProblemError, code="rate_limited", title="Too many requests", status=429):
    def __init__(self, retry_after: int, description: str = "too many failed attempts; retry later") -> None:
        super().__init__(description)
        self.retry_after = max(1, retry_after)


#: Every management API machine code, for the OpenAPI document.
PROBLEM_CODES: dict[str, str] = {
    "validation_failed": "The request body or parameters are invalid.",
    "invalid_request": "The request is malformed: not JSON, a repeated member, or a token in the URL.",
    "unauthenticated": "No valid credentials were presented.",
    "forbidden": "The caller's role does not allow this.",
    "insufficient_scope": "The token's scopes do not include the one this needs.",
    "invalid_token": "The bearer token is malformed, unknown, expired or revoked.",
    "invalid_dpop_proof": "The DPoP proof (RFC 9449) of a DPoP-bound token is missing or invalid.",
    "use_dpop_nonce": "The DPoP proof must carry the server's nonce (the DPoP-Nonce header).",
    "scope_not_allowed": "A requested scope is not in the registry or exceeds the caller's.",
    "lifetime_not_allowed": "The requested expiry would outlive the token making the request.",
    "immutable_field": "The field cannot be changed after creation (personal-token scopes and expiry).",
    "last_owner": "The organisation's last owner cannot be removed or demoted.",
    "policy_forbids": "The organisation's policy forbids this.",
    "url_not_allowed": "The URL may not be called: not http(s), or a private or loopback address.",
    "csrf_failed": "A dashboard-session request that changes something lacks its X-CSRF-Token header.",
    "not_found": "No such object, or not visible to the caller.",
    "conflict": "The object already exists or changed meanwhile.",
    "resource_exists": "A resource with this URI is already registered (or built in).",
    "resource_builtin": "A built-in resource (management API, /mcp, platform API) cannot be deleted.",
    "limit_reached": "The registry holds as many resources as it may.",
    "method_not_allowed": "The route does not accept this HTTP method.",
    "payload_too_large": "The request body exceeds the route's size cap.",
    "rate_limited": "Too many requests.",
    "unavailable": "Storage is temporarily unavailable.",
    "internal_error": "An unexpected error.",
}
