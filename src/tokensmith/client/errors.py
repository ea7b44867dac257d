"""Every error the client SDK raises on purpose.

::

    TokensmithClientError
    ├── TokenRequestError        the token endpoint refused (RFC 6749 §5.2) or never answered usefully
    ├── DiscoveryError           the RFC 8414 metadata could not be fetched or is not valid
    ├── ResponseFormatError      a success response that does not match the wire contract
    └── ApiError                 an RFC 9457 problem from the management API; ``code`` is the machine code
        ├── BadRequestError          400 (validation_failed, immutable_field, scope_not_allowed, ...)
        ├── AuthenticationError      401 (unauthenticated)
        ├── PermissionDeniedError    403 (forbidden, insufficient_scope, policy_forbids)
        ├── NotFoundError            404 (not_found)
        ├── ConflictError            409 (conflict)
        ├── RateLimitedError         429 (rate_limited)
        └── ServiceUnavailableError  503 (unavailable)

No message, attribute or ``repr`` of these errors ever holds a client secret or a token: they are built
only from what the server said and from public identifiers.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

#: Each status's :class:`ApiError` subclass, filled in as they are defined.
_BY_STATUS: dict[int, type[ApiError]] = {}


class TokensmithClientError(Exception):
    """Base class of every error raised by :mod:`tokensmith.client`."""


class TokenRequestError(TokensmithClientError):
    """The token endpoint answered with an error (RFC 6749 §5.2), or kept failing after the retries.

    ``error`` is the RFC 6749 §5.2 code (``invalid_client``, ``invalid_scope``, ``slow_down``,
    ``temporarily_unavailable``...). When the response was not an OAuth error object at all, ``error`` is
    ``"unexpected_response"``.
    """

    def __init__(
        self,
        error: str,
        error_description: str | None = None,
        *,
        status_code: int | None = None,
        error_uri: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.error = error
        self.error_description = error_description
        self.status_code = status_code
        self.error_uri = error_uri
        #: Seconds the server asked us to wait (``Retry-After``), when it did.
        self.retry_after = retry_after
        message = f"token request failed: {error}"
        if status_code is not None:
            message += f" (HTTP {status_code})"
        if error_description:
            message += f": {error_description}"
        super().__init__(message)

    def copy(self) -> TokenRequestError:
        """A fresh instance with the same fields (to raise the same failure in another request)."""
        return TokenRequestError(
            self.error,
            self.error_description,
            status_code=self.status_code,
            error_uri=self.error_uri,
            retry_after=self.retry_after,
        )

    def __repr__(self) -> str:
        return (
            f"TokenRequestError(error={self.error!r}, error_description={self.error_description!r}, "
            f"status_code={self.status_code!r})"
        )


class DiscoveryError(TokensmithClientError):
    """The authorization server metadata (RFC 8414 §3) could not be fetched or is not valid."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code

    def copy(self) -> DiscoveryError:
        """A fresh instance with the same fields (to raise the same failure in another request)."""
        return DiscoveryError(str(self), status_code=self.status_code)


class ResponseFormatError(TokensmithClientError):
    """A success response whose body does not match ``docs/contracts.md``."""


class ApiError(TokensmithClientError):
    """An error from the management API, read from its RFC 9457 problem details.

    ``code`` is the stable machine code to switch on (``not_found``, ``immutable_field``...); ``title`` and
    ``detail`` are for humans. A response that is not a problem document (a proxy's HTML error page, say)
    gets ``code = "http_error"`` and the HTTP reason phrase as its title.
    """

    #: The status this subclass stands for; ``None`` on the base class.
    status_code: ClassVar[int | None] = None

    def __init_subclass__(cls, *, status_code: int | None = None, **kwargs: Any) -> None:
        """``class NotFoundError(ApiError, status_code=404)``: the subclass raised for that status."""
        super().__init_subclass__(**kwargs)
        if status_code is not None:
            cls.status_code = status_code
            _BY_STATUS[status_code] = cls

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        type: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.type = type
        #: Any other members of the problem document (RFC 9457 §3.2).
        self.extensions = extensions or {}
        message = f"{status} {code}: {title}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, title={self.title!r}, "
            f"detail={self.detail!r})"
        )


class BadRequestError(ApiError, status_code=400):
    """400: the request is not valid (``validation_failed``, ``immutable_field``, ``scope_not_allowed``)."""


class AuthenticationError(ApiError, status_code=401):
    """401: the caller is not authenticated (``unauthenticated``)."""


class PermissionDeniedError(ApiError, status_code=403):
    """403: the caller may not do this (``forbidden``, ``insufficient_scope``, ``policy_forbids``)."""


class NotFoundError(ApiError, status_code=404):
    """404: there is no such object, or the caller may not see it (``not_found``)."""


class ConflictError(ApiError, status_code=409):
    """409: the change clashes with the object's state (``conflict``)."""


class RateLimitedError(ApiError, status_code=429):
    """429: too many requests (``rate_limited``)."""


class ServiceUnavailableError(ApiError, status_code=503):
    """503: the server cannot answer now (``unavailable``)."""


def api_error_class(status: int) -> type[ApiError]:
    """The :class:`ApiError` subclass for an HTTP status (the base class when none is specific)."""
    return _BY_STATUS.get(status, ApiError)


def api_error_from_response(response: httpx.Response) -> ApiError:
    """Read an RFC 9457 problem details response into the matching :class:`ApiError`.

    The machine code is the ``code`` member (Tokensmith's extension), else the last path segment of
    ``type`` (``https://tokensmith.dev/problems/<code>``), else ``"http_error"``.
    """
    try:
        document = json.loads(response.content)
    except ValueError:
        document = None
    problem: dict[str, Any] = document if isinstance(document, dict) else {}
    kind = problem.get("type") if isinstance(problem.get("type"), str) else None
    code = problem.get("code")
    if not isinstance(code, str) or not code:
        code = kind.rstrip("/").rsplit("/", 1)[-1] if kind and kind != "about:blank" else "http_error"
    title = problem.get("title")
    detail = problem.get("detail")
    known = {"type", "title", "status", "detail", "code", "instance"}
    return api_error_class(response.status_code)(
        response.status_code,
        code,
        title if isinstance(title, str) and title else response.reason_phrase or "HTTP error",
        detail if isinstance(detail, str) else None,
        type=kind,
        extensions={key: value for key, value in problem.items() if key not in known},
    )
