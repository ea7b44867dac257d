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
from tokensmith.core.pkce import METHODS_SUPPORTED
from tokensmith.core.records import Credential
from tokensmith.http.errors import (
    NO_STORE,
    NoStoreJSON,
    oauth_error_response,
    unavailable_response,
    unexpected_response,
)
from tokensmith.http.metered import metered_introspection, metered_token, note_active, note_format, note_grant
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
from tokensmith.services.client_registration import registration_response
from tokensmith.services.container import Services
from tokensmith.services.minting import IssuedToken
from tokensmith.web.blocking import call_blocking
from tokensmith.web.client_ip import client_ip
from tokensmith.web.dpop_request import dpop_request

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
        self.opaque_prefix = services.settings.opaque_token_prefix

    async def _call(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await call_blocking(self.s.database, func, *args, **kwargs)

    def _ip(self, request: Request) -> str | None:
        return client_ip(request, self.s.settings.trust_forwarded_for, self.s.settings.forwarded_hops)

    async def _issue(
        self, request: Request, params: dict[str, Any], auth: ClientAuth | None, jkt: str | None = None
    ) -> IssuedToken:
        """The grant handling, with the grant and the token's format noted for the metrics."""
        note_grant(request, params.get("grant_type"))
        issued = await self._call(self.tokens.handle, params, auth, self._ip(request), jkt)
        note_format(request, "opaque" if issued.access_token.startswith(self.opaque_prefix) else "jwt")
        return issued

    # RFC 6749 §3.2 ------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        params = await read_form(request, self.limit)
        auth = client_auth(request, params)
        jkt = await self._dpop_key(request)
        issued = await self._issue(request, params, auth, jkt)
        grant_type = params.get("grant_type")
        response = NoStoreJSON(token_body(issued, issued_token_type=grant_type == TOKEN_EXCHANGE))
        nonce = self.s.dpop.fresh_nonce()
        if nonce is not None and jkt is not None:
            response.headers["DPoP-Nonce"] = nonce  # RFC 9449 §8.2: the next nonce to use
        return response

    async def _dpop_key(self, request: Request) -> str | None:
        """RFC 9449 §5: the thumbprint of the request's checked DPoP proof, ``None`` without one."""
        dpop = dpop_request(request, self.s.issuer)
        if not dpop.present:
            return None
        proof = await self._call(self.s.dpop.validate, dpop)
        return proof.jkt

    # Seed 002: POST /api/v0/login (JSON) -----------------------------------------
    async def v0_login(self, request: Request) -> Response:
        params = await read_json(request, self.limit)
        for name in ("grant_type", "scope", "client_id", "client_secret", "resource"):
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
                "resource": string_param(params, "resource"),
            }
            auth: ClientAuth | None = None
        else:
            auth = client_auth(request, params)
            if grant_type == "refresh_token":
                raise InvalidRequest(
                    "grant_type refresh_token needs a personal token as Bearer authorization."
                )
        try:
            issued = await self._issue(request, params, auth)
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
            "resource": json_string(raw, "resource"),
        }
        auth = client_auth(request, {k: v for k, v in params.items() if v is not None})
        issued = await self._issue(request, params, auth)
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
            self.s.authenticator.authenticate,
            auth.client_id,
            auth.client_secret,
            self._ip(request),
            assertion=auth.assertion,
        )
        return params, credential

    async def introspect(self, request: Request) -> Response:
        params, caller = await self._caller(request)
        body = await self._call(self.s.inspector.introspect, params["token"], caller)
        note_active(request, body.get("active") is True)
        return NoStoreJSON(body)

    async def revoke(self, request: Request) -> Response:
        params, caller = await self._caller(request)
        await self._call(self.s.inspector.revoke, params["token"], caller, self._ip(request))
        return Response(status_code=200, headers=NO_STORE)

    # RFC 7591 -------------------------------------------------------------------------
    async def register(self, request: Request) -> Response:
        """RFC 7591 §3: register a public client (services/client_registration.py)."""
        body = await read_json(request, self.limit)
        client = await self._call(self.s.client_registration.register, body, self._ip(request))
        return JSONResponse(registration_response(client), status_code=201, headers=NO_STORE)

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
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "registration_endpoint": f"{base}/oauth2/register",
            "grant_types_supported": sorted(self.tokens.grants),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": list(METHODS_SUPPORTED),
            "authorization_response_iss_parameter_supported": True,
            "client_id_metadata_document_supported": self.s.client_documents.enabled,
            "scopes_supported": sorted(self.s.scope_registry),
            "access_token_signing_alg_values_supported": ["ES256", "EdDSA", "RS256"],
            "dpop_signing_alg_values_supported": list(self.s.dpop.algorithms),  # RFC 9449 §5.1
            "service_documentation": f"{base}/docs",
        } | self._client_authentication_metadata()

    def _client_authentication_metadata(self) -> dict[str, Any]:
        """RFC 8414 §2: how clients authenticate at each endpoint. ``private_key_jwt`` (RFC 7523 §2.2)
        everywhere when key-based credentials are on, with the algorithms its assertions may be
        signed with; ``none`` at the token endpoint only, for the authorization code flow's public
        clients (OAuth 2.1 draft §2.4)."""
        methods = ["client_secret_basic", "client_secret_post"]
        if self.s.client_assertions is not None:
            methods.append("private_key_jwt")
        metadata: dict[str, Any] = {}
        for endpoint in ("token", "introspection", "revocation"):
            extra = ["none"] if endpoint == "token" else []
            metadata[f"{endpoint}_endpoint_auth_methods_supported"] = [*methods, *extra]
            if self.s.client_assertions is not None:
                algorithms = list(self.s.client_assertions.algorithms)
                metadata[f"{endpoint}_endpoint_auth_signing_alg_values_supported"] = algorithms
        return metadata

    async def discovery(self, request: Request) -> Response:
        # RFC 9728 §4: the protected resources (RFC 8707 resource indicators) this server issues for.
        resources = await self._call(self.s.resources.uris)
        return JSONResponse(
            {**self.metadata(), "protected_resources": resources},
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def jwks(self, request: Request) -> Response:
        keys = await self._call(self.s.keyring.jwks)
        return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})

    def post_endpoints(self) -> dict[str, Endpoint]:
        """The POST endpoints by path; each renders all of its own errors."""
        settings = self.s.settings
        endpoints: dict[str, Endpoint] = {
            "/oauth2/token": _oauth(self._metered("/oauth2/token", self.token)),
            "/oauth2/introspect": _oauth(self._metered_introspection(self.introspect)),
            "/oauth2/revoke": _oauth(self.revoke),
            "/oauth2/register": _oauth(self.register),
        }
        if settings.dialect_oauth_form:
            endpoints["/api/oauth/token"] = _oauth(self._metered("/api/oauth/token", self.token))
        if settings.dialect_v0_login:
            endpoints["/api/v0/login"] = _oauth(self._metered("/api/v0/login", self.v0_login))
        if settings.dialect_v1_token:
            endpoints["/api/v1/token"] = _oauth(
                self._metered("/api/v1/token", self.v1_token), camel_case=True
            )
        return endpoints

    def _metered(self, route: str, handler: Endpoint) -> Endpoint:
        """``handler`` counted and timed (:mod:`tokensmith.http.metered`), unless metrics are off."""
        return metered_token(handler, self.s.metrics, route) if self.s.metrics.enabled else handler

    def _metered_introspection(self, handler: Endpoint) -> Endpoint:
        return metered_introspection(handler, self.s.metrics) if self.s.metrics.enabled else handler

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
