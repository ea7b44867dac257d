"""The twelve MCP tools, one-to-one with the management API (seed 001: "mirror the REST API").

Each tool validates its arguments against the JSON schema its signature declares (the SDK does),
resolves the :class:`~tokensmith.mcp.backend.Backend` for the caller, and runs the one blocking
operation in a worker thread. Rules (scopes as a ceiling, roles, organisation boundaries, audit)
live in the services, never here. The webhook tools are :mod:`tokensmith.mcp.webhook_tools`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import AwareDatetime, Field
from starlette.requests import Request

from tokensmith.mcp.arguments import CREATE, DESTROY, READ, Cursor, Description, Limit, Name, ObjectId, Scopes
from tokensmith.mcp.backend import Backend, tool_errors
from tokensmith.mcp.webhook_tools import WEBHOOK_SCOPES, WebhookTools
from tokensmith.storage.database import Database
from tokensmith.web.blocking import run_in_worker
from tokensmith.wire.credentials import (
    CreatedCredentialOut,
    CredentialKindName,
    CredentialOut,
    DeletedCredential,
    TokenFormatName,
)
from tokensmith.wire.page import Page
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut, RevokedToken

T = TypeVar("T")

#: Finds the backend for one tool call, given the HTTP request it came in (``None`` on stdio).
#: Runs in a worker thread, so it may authenticate against the database.
BackendResolver = Callable[[Request | None], Backend]

#: The scope each tool needs (its docstring says so too). The HTTP adapter checks it before the call
#: runs, so a token without it gets the RFC 6750 §3.1 / MCP scope challenge (403
#: ``insufficient_scope``); the services check it again, whichever door the call came through.
REQUIRED_SCOPES: dict[str, str] = {
    "list_tokens": "tokens:read",
    "create_token": "tokens:write",
    "revoke_token": "tokens:write",
    "list_credentials": "credentials:read",
    "create_credential": "credentials:write",
    "regenerate_credential_secret": "credentials:write",
    "delete_credential": "credentials:write",
    **WEBHOOK_SCOPES,
}

#: What each tool tells the client it does (read-only, creates, destroys), in the order they are listed.
HINTS: dict[str, ToolAnnotations] = {
    "list_tokens": READ,
    "create_token": CREATE,
    "revoke_token": DESTROY,
    "list_credentials": READ,
    "create_credential": CREATE,
    "regenerate_credential_secret": DESTROY,
    "delete_credential": DESTROY,
    "list_webhooks": READ,
    "create_webhook": CREATE,
    "delete_webhook": DESTROY,
    "list_webhook_deliveries": READ,
    "replay_webhook_delivery": CREATE,
}


class Tools(WebhookTools):
    """The tools, bound to how a call finds its backend; :meth:`all` lists them for the server."""

    def __init__(self, resolve: BackendResolver, database: Database | None = None) -> None:
        """``database``: the one a local backend works on, whose deadline bounds each call
        (:func:`~tokensmith.web.blocking.run_in_worker`); ``None`` for a remote backend, whose
        HTTP client has time-outs of its own."""
        self._resolve = resolve
        self._database = database

    async def _run(self, ctx: Context, operation: Callable[[Backend], T]) -> T:
        request = ctx.request_context.request
        http_request = request if isinstance(request, Request) else None

        def work() -> T:
            with tool_errors():
                return operation(self._resolve(http_request))

        if self._database is not None:
            return await run_in_worker(self._database, work)
        return await to_thread.run_sync(work)

    # -- personal access tokens ---------------------------------------------------------------------

    async def list_tokens(
        self,
        ctx: Context,
        expiring_within_seconds: Annotated[
            int | None, Field(ge=1, description="Only tokens that expire within this many seconds.")
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[PersonalTokenOut]:
        """List your active personal access tokens (name, scopes, last used, expiry; never the token itself).

        Needs the tokens:read scope."""
        return await self._run(
            ctx,
            lambda b: b.list_tokens(
                expiring_within_seconds=expiring_within_seconds, limit=limit, cursor=cursor
            ),
        )

    async def create_token(
        self,
        ctx: Context,
        name: Name,
        scopes: Scopes,
        description: Description = "",
        expires_in_days: Annotated[
            int | None, Field(ge=1, le=3650, description="Days until it expires (or give expires_at).")
        ] = None,
        expires_at: Annotated[
            AwareDatetime | None, Field(description="RFC 3339 time it expires, with a time zone.")
        ] = None,
    ) -> CreatedPersonalTokenOut:
        """Create a personal access token for yourself. The token is in the result this once and never again.

        Its scopes can be no wider than those of the token you are using. Needs the tokens:write scope."""
        return await self._run(
            ctx,
            lambda b: b.create_token(
                name=name,
                scopes=list(scopes),
                description=description,
                expires_in_days=expires_in_days,
                expires_at=expires_at,
            ),
        )

    async def revoke_token(
        self, ctx: Context, token_id: Annotated[ObjectId, Field(description="The token's `id`.")]
    ) -> RevokedToken:
        """Revoke one of your personal access tokens: it stops working at once; this cannot be undone.

        Needs the tokens:write scope."""
        return await self._run(ctx, lambda b: b.revoke_token(token_id))

    # -- credentials --------------------------------------------------------------------------------

    async def list_credentials(
        self,
        ctx: Context,
        kind: Annotated[
            CredentialKindName | None,
            Field(description="Only `personal` (yours) or `organization` credentials; both when omitted."),
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[CredentialOut]:
        """List the API credentials (OAuth clients) you can see: your personal ones and the organisation's.

        Needs the credentials:read scope."""
        return await self._run(ctx, lambda b: b.list_credentials(kind=kind, limit=limit, cursor=cursor))

    async def create_credential(
        self,
        ctx: Context,
        name: Name,
        kind: Annotated[
            CredentialKindName,
            Field(description="`personal` (tied to you) or `organization` (owners and admins only)."),
        ],
        scopes: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=200)]] | None,
            Field(max_length=100, description='Scopes its tokens may carry; default ["api/access"].'),
        ] = None,
        token_format: Annotated[
            TokenFormatName | None, Field(description="`jwt` (default) or `opaque` access tokens.")
        ] = None,
        token_ttl: Annotated[
            int | None, Field(ge=60, description="Access-token lifetime in seconds (default 3600).")
        ] = None,
        description: Description = "",
        jwks: Annotated[
            dict[str, Any] | None,
            Field(
                description='Keyless (private_key_jwt): the client\'s PUBLIC keys, a JWK Set {"keys": [...]} '
                "or one JWK. The credential then has no secret; the client signs assertions."
            ),
        ] = None,
        jwks_uri: Annotated[
            str | None,
            Field(
                max_length=2000, description="Keyless (private_key_jwt): where the client publishes its keys."
            ),
        ] = None,
        require_dpop: Annotated[
            bool,
            Field(
                description="Refuse token requests without a DPoP proof (RFC 9449 sender-constrained tokens)."
            ),
        ] = False,
        reuse_tokens: Annotated[
            bool,
            Field(
                description="Answer a token request with the still-valid token already issued, not a new one."
            ),
        ] = False,
    ) -> CreatedCredentialOut:
        """Create an API credential (client ID and secret for the client credentials grant), or a keyless
        one (private_key_jwt, RFC 7523) with jwks or jwks_uri, shown by key thumbprints and with no secret.

        The client_secret is in the result this once and never again. Needs the credentials:write scope."""
        return await self._run(
            ctx,
            lambda b: b.create_credential(
                name=name,
                kind=kind,
                scopes=list(scopes) if scopes is not None else None,
                token_format=token_format,
                token_ttl=token_ttl,
                description=description,
                jwks=jwks,
                jwks_uri=jwks_uri,
                require_dpop=require_dpop,
                reuse_tokens=reuse_tokens,
            ),
        )

    async def regenerate_credential_secret(
        self,
        ctx: Context,
        credential_id: Annotated[ObjectId, Field(description="The credential's `id` or `client_id`.")],
        grace_seconds: Annotated[
            int,
            Field(
                ge=0, le=7 * 24 * 3600, description="Seconds the old secret keeps working (0: it dies now)."
            ),
        ] = 0,
    ) -> CreatedCredentialOut:
        """Give a credential a new client secret (shown this once); the old one stops working now or after
        the grace period. Needs the credentials:write scope."""
        return await self._run(
            ctx, lambda b: b.regenerate_credential_secret(credential_id, grace_seconds=grace_seconds)
        )

    async def delete_credential(
        self,
        ctx: Context,
        credential_id: Annotated[ObjectId, Field(description="The credential's `id` or `client_id`.")],
    ) -> DeletedCredential:
        """Delete a credential: its secrets and tokens stop working; this cannot be undone.

        Needs the credentials:write scope."""
        return await self._run(ctx, lambda b: b.delete_credential(credential_id))

    def all(self) -> list[tuple[Callable[..., Any], ToolAnnotations]]:
        return [(getattr(self, name), hints) for name, hints in HINTS.items()]


__all__ = ["REQUIRED_SCOPES", "BackendResolver", "Tools"]
