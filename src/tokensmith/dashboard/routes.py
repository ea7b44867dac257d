"""The dashboard's route table, assembled from its page areas (:mod:`tokensmith.dashboard.areas`).

Each area is a module of thin adapters: each reads the form, calls one service, and renders or
redirects (303, PRG). The area modules list their own routes; the order here is the order
Starlette matches them in.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tokensmith.dashboard.areas import (
    audit,
    authorize,
    authorized_apps,
    credential_secrets,
    credentials,
    members,
    policy,
    sign_in,
    test_call,
    token_new,
    tokens,
    webhooks,
)
from tokensmith.dashboard.pages import HERE, PageRoute, build_environment, page
from tokensmith.services.container import Services

AREAS: tuple[list[PageRoute], ...] = (
    sign_in.ROUTES,
    credentials.ROUTES,
    credential_secrets.ROUTES,
    test_call.ROUTES,
    token_new.ROUTES,
    tokens.ROUTES,
    members.ROUTES,
    policy.ROUTES,
    audit.ROUTES,
    webhooks.ROUTES,
    authorize.ROUTES,
    authorized_apps.ROUTES,
)


def dashboard_routes(services: Services) -> list[BaseRoute]:
    env = build_environment(services.clock)
    table: list[BaseRoute] = [
        Route(
            entry.path,
            page(services, env, entry.handler, public=entry.public),
            methods=list(entry.methods),
            include_in_schema=False,
        )
        for area in AREAS
        for entry in area
    ]
    table.append(Mount("/static/dashboard", StaticFiles(directory=HERE / "static"), name="dashboard-static"))
    return table
