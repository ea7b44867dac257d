"""Operational endpoints: liveness and readiness."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tokensmith.core.errors import StorageUnavailable
from tokensmith.services.container import Services
from tokensmith.web.blocking import run_in_worker


def ops_routes(services: Services) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            await run_in_worker(services.database, services.database.ping)
        except StorageUnavailable:
            return JSONResponse(
                {"status": "unavailable", "database": "down"}, status_code=503, headers={"Retry-After": "5"}
            )
        return JSONResponse({"status": "ok", "database": "up"})

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
