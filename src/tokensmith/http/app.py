"""``create_app(settings)``: the ASGI application.

Adapters only: every rule lives in :mod:`tokensmith.services`. Public OAuth routes are plain
Starlette routes; the management API is FastAPI (for its OpenAPI document).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tokensmith import __version__
from tokensmith.core.actors import Transport
from tokensmith.core.clock import Clock
from tokensmith.dashboard import dashboard_routes
from tokensmith.http.access_log import AccessLogMiddleware
from tokensmith.http.body_limit import BodyCaps, BodyLimit
from tokensmith.http.errors import EXCEPTION_HANDLERS
from tokensmith.http.management import hot_reads
from tokensmith.http.management import install as install_management_api
from tokensmith.http.metrics_route import metrics_routes
from tokensmith.http.oauth_routes import Endpoint, OAuthRoutes
from tokensmith.http.ops_routes import ops_routes
from tokensmith.http.token_endpoint import TokenEndpoint
from tokensmith.mcp.http import McpEndpoint
from tokensmith.metrics import PUBLISH_EVERY_SECONDS
from tokensmith.services.container import Services, build_services
from tokensmith.settings import Settings
from tokensmith.web.blocking import run_in_worker

log = logging.getLogger(__name__)
USAGE_FLUSH_SECONDS = 5.0
#: How often housekeeping runs: expiry notices, purging expired token state (safe from every process at once).
HOUSEKEEPING_SECONDS = 300.0


def create_app(
    settings: Settings,
    *,
    services: Services | None = None,
    issuer: str | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    owns_services = services is None
    svc = services or build_services(settings, issuer=issuer, clock=clock)
    mcp = McpEndpoint(svc)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything built at start-up lives as long as the process: keep it out of the
        # cyclic collector's way, so collections scan only what requests allocate.
        gc.collect()
        gc.freeze()
        flusher = asyncio.create_task(_flush_usage_forever(svc))
        housekeeper = asyncio.create_task(_housekeeping_forever(svc))
        webhook_sender = asyncio.create_task(_deliver_webhooks_forever(svc))
        publisher = asyncio.create_task(_publish_metrics_forever(svc))
        try:
            async with mcp.running():
                yield
        finally:
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
            svc.metrics.close()  # a worker's last counts, into the files the others' scrapes read
            webhook_sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await webhook_sender
            housekeeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeper
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            try:
                await run_in_worker(svc.database, svc.usage.flush)
            except Exception:  # noqa: BLE001 - a database down at shutdown must not stop the shutdown
                log.warning("could not record the last-used times of the final seconds: storage unavailable")
            if owns_services:
                svc.close()

    app = TokensmithApp(
        title="Tokensmith",
        version=__version__,
        description="API credentials service: management API. OAuth endpoints are described by "
        "/.well-known/oauth-authorization-server.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    app.state.services = svc
    token_endpoint = TokenEndpoint(svc)
    app.state.token_endpoint = token_endpoint
    oauth = OAuthRoutes(svc, token_endpoint)
    app.router.routes.extend(oauth.routes())
    app.router.routes.extend(ops_routes(svc))
    app.router.routes.extend(metrics_routes(svc))
    install_management_api(app)
    app.router.routes.extend(mcp.routes())
    # The dashboard last: the OAuth, management and MCP routes keep priority.
    app.router.routes.extend(dashboard_routes(svc))
    # Bodies are capped before any route reads or authenticates (the access log wraps it: 413s are logged).
    app.add_middleware(BodyLimit, caps=BodyCaps.from_settings(settings))
    if settings.access_log:
        app.add_middleware(AccessLogMiddleware)  # it logs every request, so no fast path
    else:
        app.fast_endpoints = oauth.post_endpoints()
        app.fast_reads = hot_reads.READS
    return app


class TokensmithApp(FastAPI):
    """The FastAPI application, with the OAuth POST endpoints and the management API's hot
    reads (:mod:`tokensmith.http.management.hot_reads`) served from the very top.

    Those endpoints parse, authorise and render every error themselves, so FastAPI's
    telemetry, the middleware stack and the router (dozens of management, MCP and dashboard
    routes) would be pure overhead on the hot paths. The same endpoints stay registered as
    ordinary routes too.
    """

    fast_endpoints: dict[str, Endpoint] = {}
    fast_reads: dict[str, hot_reads.Read] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response: Response | None = None
            if scope["method"] == "POST":
                endpoint = self.fast_endpoints.get(scope["path"])
                if endpoint is not None:
                    response = await endpoint(Request(scope, receive))
            elif scope["method"] == "GET":
                read = self.fast_reads.get(scope["path"])
                if read is not None and hot_reads.is_plain(scope):
                    scope["app"] = self  # as Starlette's own __call__ does: request.app
                    response = await hot_reads.answer(Request(scope, receive), read)
            if response is not None:
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _flush_usage_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(USAGE_FLUSH_SECONDS)
        try:
            await run_in_worker(services.database, services.usage.flush)
        except Exception:  # noqa: BLE001 - keep flushing after a storage blip
            log.warning("could not record last-used times; will retry")


async def _publish_metrics_forever(services: Services) -> None:
    """Several workers: this one's metric totals, written where every worker's scrape reads them
    (:meth:`tokensmith.metrics.Metrics.publish`; nothing to do in one process)."""
    if services.metrics.multiprocess_dir is None:
        return
    while True:
        services.metrics.publish()
        await asyncio.sleep(PUBLISH_EVERY_SECONDS)


async def _housekeeping_forever(services: Services) -> None:
    """Housekeeping, safe from every process at once: audit events when personal tokens cross
    7 days / 1 day before expiry, and forgetting expired opaque tokens and
    revocations of expired JWTs."""
    while True:
        try:
            await run_in_worker(
                services.database,
                functools.partial(services.personal_tokens.emit_expiry_notices, transport=Transport.API),
            )
            await run_in_worker(services.database, services.inspector.purge_expired)
        except Exception:  # noqa: BLE001 - try again next round after a storage blip
            log.warning("could not run token housekeeping; will retry")
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


async def _deliver_webhooks_forever(services: Services) -> None:
    """Send due webhook deliveries (services/webhook_delivery.py), safe from every process at once:
    each delivery is claimed by one of them. A full batch is followed at once by the next."""
    deliverer = services.webhook_deliverer
    while True:
        busy = False
        try:
            done = await asyncio.to_thread(deliverer.deliver_due)
            busy = done.attempted > 0
        except Exception:  # noqa: BLE001 - try again next round after a storage blip
            log.warning("could not deliver webhooks; will retry")
        await asyncio.sleep(0.05 if busy else services.settings.webhook_poll_seconds)
