"""Tokensmith's client SDK: call an API with Tokensmith credentials, and manage them.

- :class:`ClientCredentialsAuth` — an ``httpx.Auth`` for the client credentials grant (RFC 6749 §4.4):
  discovers the token endpoint (RFC 8414), caches the token, renews it before expiry, one fetch at a
  time, retrying ``429``/``5xx`` politely; works with ``httpx.Client`` and ``httpx.AsyncClient``.
- :class:`PrivateKeyJwtAuth` — the same for a keyless credential: each token request is authenticated
  with an assertion signed by the client's private key (RFC 7523 §2.2, ``private_key_jwt``).
- :class:`PersonalTokenAuth` — sends a personal access token as a Bearer token (RFC 6750 §2.1).
- :class:`ManagementClient` / :class:`AsyncManagementClient` — typed clients for the management API.
- :class:`LoopbackAuthorization` — signs a person in from a CLI: the authorization code flow with PKCE
  and a loopback redirect (RFC 8252 §7.3), with refresh-token rotation.

This package depends only on the standard library and ``httpx`` (and ``anyio``, which ``httpx``
installs); it never imports the server, so it installs without the ``server`` extra.
"""

from tokensmith.client.authorization_code import (
    AuthorizationError,
    AuthorizationTokens,
    LoopbackAuthorization,
)
from tokensmith.client.authorization_models import AuthorizedApp
from tokensmith.client.credentials_auth import ClientCredentialsAuth
from tokensmith.client.dpop import DPoPKey
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
    Resource,
    User,
)
from tokensmith.client.operations import CredentialKind, TokenFormat
from tokensmith.client.personal_token_auth import PersonalTokenAuth
from tokensmith.client.private_key_jwt_auth import PrivateKeyJwtAuth
from tokensmith.client.retry import Backoff
from tokensmith.client.webhook_models import (
    CreatedWebhookEndpoint,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

__all__ = [
    "ApiError",
    "AsyncManagementClient",
    "AuthenticationError",
    "AuthorizationError",
    "AuthorizationTokens",
    "AuthorizedApp",
    "Backoff",
    "BadRequestError",
    "ClientCredentialsAuth",
    "ClientMe",
    "ConflictError",
    "CreatedCredential",
    "CreatedPersonalToken",
    "CreatedWebhookEndpoint",
    "Credential",
    "CredentialKind",
    "CredentialRef",
    "DPoPKey",
    "DiscoveryError",
    "LoopbackAuthorization",
    "ManagementClient",
    "Me",
    "NotFoundError",
    "Organization",
    "Page",
    "PermissionDeniedError",
    "PersonalToken",
    "PersonalTokenAuth",
    "PrivateKeyJwtAuth",
    "RateLimitedError",
    "Resource",
    "ResponseFormatError",
    "ServiceUnavailableError",
    "TokenFormat",
    "TokenRequestError",
    "TokensmithClientError",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEventType",
]
