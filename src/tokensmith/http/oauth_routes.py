"""OAuth HTTP endpoints: token, introspection, revocation, discovery, JWKS, and the vendor dialects.

Plain Starlette routes (no OpenAPI, no dependency injection on the hot path). Each one
parses strictly (:mod:`tokensmith.http.oauth_request`), calls a service (in a worker
thread, or inline on SQLite where the call is cheaper than the thread hop), and renders
every error itself through :mod:`tokensmith.http.errors` — so these routes need none of
the application's middleware, and :class:`tokensmith.http.app.TokensmithApp` serves the POST
endpoints straight from the top of the stack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tokensmith.core.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidSubjectToken,
    OAuthError,
    StorageUnavailable,
)
from tokensmith.core.records import Credential
from tokensmith.http.errors import (
    NO_STORE,
    NoStoreJSON,
    oauth_error_response,
    unavailable_response,
    unexpected_response,
)
from tokensmith.http.oauth_request import (
    ClientAuth,
    authorization,
    client_auth,
    json_string,
    read_form,
    read_json,
    string_param,
)
from tokensmith.http.token_endpoint import ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE, TokenEndpoint, token_body
from tokensmith.services.container import Services
from tokensmith.web.blocking import call_blocking
from tokensmith.web.client_ip import client_ip

Endpoint = Callable[[Request], Awaitable[Response]]
P = ParamSpec("P")
R = TypeVar("R")


def _basic_used(request: Request) -> bool:
    try:
        header = authorization(request)
    except InvalidRequest:
        return False
    return header is not None and header[0] == "basic"


def _oauth(handler: Endpoint, *, camel_case: bool = False) -> Endpoint:
    """Render every error the handler raises, through :mod:`tokensmith.http.errors`.

    These endpoints may be served from the top of the stack (:class:`~tokensmith.http.app.TokensmithApp`),
    where the app's exception handlers never run: OAuth errors keep their code, a storage outage
    is ``temporarily_unavailable``, anything else ``server_error``.
    ``camel_case``: seed 003's dialect spells the description ``errorDescription``.
    """

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except OAuthError as exc:
            return oauth_error_response(exc, basic_used=_basic_used(request), camel_case=camel_case)
        except StorageUnavailable as exc:
            return unavailable_response(request, exc)
        except Exception as exc:  # noqa: BLE001 - anything unexpected is server_error, logged once
            return unexpected_response(request, exc)

    return endpoint


class OAuthRoutes:
    def __init__(self, services: Services, token_endpoint: TokenEndpoint) -> None:
        self.s = services
        self.tokens = token_endpoint
        self.limit = services.settings.max_body_bytes

    async def _call(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await call_blocking(self.s.database, func, *args, **kwargs)

    def _ip(self, request: Request) -> str | None:
        return client_ip(request, self.s.settings.trust_forwarded_for, self.s.settings.forwarded_hops)

    # RFC 6749 §3.2 ------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        params = await read_form(request, self.limit)
        auth = client_auth(request, params)
        issued = await self._call(self.tokens.handle, params, auth, self._ip(request))
        grant_type = params.get("grant_type")
        return NoStoreJSON(token_body(issued, issued_token_type=grant_type == TOKEN_EXCHANGE))

    # Seed 002: POST /api/v0/login (JSON) -----------------------------------------
    async def v0_login(self, request: Request) -> Response:
        params = await read_json(request, self.limit)
        for name in ("grant_type", "scope", "client_id", "client_secret"):
            json_string(params, name)  # present means a string: null is invalid_request
        header = authorization(request)
        grant_type = string_param(params, "grant_type")
        if header is not None and header[0] == "bearer":
            # A personal token in the Authorization header, exchanged for an access token.
            if grant_type != "refresh_token":
                raise InvalidRequest('With a Bearer personal token, grant_type must be "refresh_token".')
            params = {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": header[1],
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "scope": string_param(params, "scope"),
            }
            auth: ClientAuth | None = None
        else:
            auth = client_auth(request, params)
            if grant_type == "refresh_token":
                raise InvalidRequest(
                    "grant_type refresh_token needs a personal token as Bearer authorization."
                )
        try:
            issued = await self._call(self.tokens.handle, params, auth, self._ip(request))
        except InvalidSubjectToken as exc:
            # Seed 002 calls the exchange a refresh: a bad personal token is invalid_grant (RFC 6749 §5.2).
            raise InvalidGrant(exc.description) from None
        return NoStoreJSON(token_body(issued))

    # Seed 003: POST /api/v1/token (JSON camelCase) --------------------------------
    async def v1_token(self, request: Request) -> Response:
        raw = await read_json(request, self.limit)
        params = {
            "grant_type": json_string(raw, "grantType"),
            "client_id": json_string(raw, "clientId"),
            "client_secret": json_string(raw, "clientSecret"),
            "scope": json_string(raw, "scope"),
        }
        auth = client_auth(request, {k: v for k, v in params.items() if v is not None})
        issued = await self._call(self.tokens.handle, params, auth, self._ip(request))
        return NoStoreJSON({_camel(name): value for name, value in token_body(issued).items()})

    # RFC 7662 / RFC 7009 ----------------------------------------------------------
    async def _caller(self, request: Request) -> tuple[dict[str, str], Credential]:
        params = await read_form(request, self.limit)
        auth = client_auth(request, params)
        if auth is None:
            raise InvalidClient("Client authentication is required.")
        if not params.get("token"):
            raise InvalidRequest("The token parameter is required.")
        credential, _org = await self._call(
            self.s.authenticator.authenticate, auth.client_id, auth.client_secret, self._ip(request)
        )
        return params, credential

    async def introspect(self, request: Request) -> Response:
        params, caller = await self._caller(request)
        body = await self._call(self.s.inspector.introspect, params["token"], caller)
        return NoStoreJSON(body)

    async def revoke(self, request: Request) -> Response:
        params, caller = await self._caller(request)
        await self._call(self.s.inspector.revoke, params["token"], caller, self._ip(request))
        return Response(status_code=200, headers=NO_STORE)

    # RFC 8414 / RFC 7517 -------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        issuer = self.s.issuer
        base = issuer.rstrip("/")
        return {
            "issuer": issuer,
            "token_endpoint": f"{base}/oauth2/token",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "introspection_endpoint": f"{base}/oauth2/introspect",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "grant_types_supported": sorted(self.tokens.grants),
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": sorted(self.s.scope_registry),
            "access_token_signing_alg_values_supported": ["ES256", "EdDSA", "RS256"],
            "service_documentation": f"{base}/docs",
        }

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(self.metadata(), headers={"Cache-Control": "public, max-age=3600"})

    async def jwks(self, request: Request) -> Response:
        keys = await self._call(self.s.keyring.jwks)
        return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})

    def post_endpoints(self) -> dict[str, Endpoint]:
        """The POST endpoints by path; each renders all of its own errors."""
        settings = self.s.settings
        endpoints: dict[str, Endpoint] = {
            "/oauth2/token": _oauth(self.token),
            "/oauth2/introspect": _oauth(self.introspect),
            "/oauth2/revoke": _oauth(self.revoke),
        }
        if settings.dialect_oauth_form:
            endpoints["/api/oauth/token"] = _oauth(self.token)
        if settings.dialect_v0_login:
            endpoints["/api/v0/login"] = _oauth(self.v0_login)
        if settings.dialect_v1_token:
            endpoints["/api/v1/token"] = _oauth(self.v1_token, camel_case=True)
        return endpoints

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(path, endpoint, methods=["POST"]) for path, endpoint in self.post_endpoints().items()
        ]
        routes += [
            Route("/.well-known/oauth-authorization-server", self.discovery, methods=["GET"]),
            Route("/.well-known/openid-configuration", self.discovery, methods=["GET"]),
            Route("/.well-known/jwks.json", self.jwks, methods=["GET"]),
        ]
        return routes


def _camel(name: str) -> str:
    """``expires_in`` as seed 003's JSON dialect spells it: ``expiresIn``."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)
