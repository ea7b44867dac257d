"""The management REST API (``/api/…``), one module per noun; see docs/contracts.md.

:func:`install` adds every router to the FastAPI app and makes the OpenAPI document list
each error as an RFC 9457 problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from tokensmith.http.management import (
    audit,
    authorized_apps,
    credentials,
    leaks,
    me,
    orgs,
    resources,
    tokens,
    webhooks,
)
from tokensmith.http.management.problems import COMMON, problem_only_openapi, problems

__all__ = ["install"]


def install(app: FastAPI) -> None:
    api = APIRouter(responses=problems(*COMMON))
    for module in (me, tokens, leaks, credentials, orgs, webhooks, audit, resources, authorized_apps):
        api.include_router(module.router)
    app.include_router(api)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = problem_only_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
