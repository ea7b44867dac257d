"""Tokensmith's client SDK: call an API with Tokensmith credentials, and manage them.

- :class:`ClientCredentialsAuth` — an ``httpx.Auth`` for the client credentials grant (RFC 6749 §4.4):
  discovers the token endpoint (RFC 8414), caches the token, renews it before expiry, one fetch at a
  time, retrying ``429``/``5xx`` politely; works with ``httpx.Client`` and ``httpx.AsyncClient``.
- :class:`PersonalTokenAuth` — sends a personal access token as a Bearer token (RFC 6750 §2.1).
- :class:`ManagementClient` / :class:`AsyncManagementClient` — typed clients for the management API.

This package depends only on the standard library and ``httpx`` (and ``anyio``, which ``httpx``
installs); it never imports the server, so it installs without the ``server`` extra.
"""

from tokensmith.client.credentials_auth import ClientCredentialsAuth
from tokensmith.client.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DiscoveryError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    ServiceUnavailableError,
    TokenRequestError,
    TokensmithClientError,
)
from tokensmith.client.management import AsyncManagementClient, ManagementClient
from tokensmith.client.models import (
    ClientMe,
    CreatedCredential,
    CreatedPersonalToken,
    Credential,
    CredentialRef,
    Me,
    Organization,
    Page,
    PersonalToken,
    User,
)
from tokensmith.client.operations import CredentialKind, TokenFormat
from tokensmith.client.personal_token_auth import PersonalTokenAuth
from tokensmith.client.retry import Backoff

__all__ = [
    "ApiError",
    "AsyncManagementClient",
    "AuthenticationError",
    "Backoff",
    "BadRequestError",
    "ClientCredentialsAuth",
    "ClientMe",
    "ConflictError",
    "CreatedCredential",
    "CreatedPersonalToken",
    "Credential",
    "CredentialKind",
    "CredentialRef",
    "DiscoveryError",
    "ManagementClient",
    "Me",
    "NotFoundError",
    "Organization",
    "Page",
    "PermissionDeniedError",
    "PersonalToken",
    "PersonalTokenAuth",
    "RateLimitedError",
    "ResponseFormatError",
    "ServiceUnavailableError",
    "TokenFormat",
    "TokenRequestError",
    "TokensmithClientError",
    "User",
]
