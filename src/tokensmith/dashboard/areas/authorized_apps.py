"""Authorized apps: the apps the person consented to (OAuth 2.1 authorization code), in the current
organisation, each revocable — its refresh token and every access token it holds stop working."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect


def apps_list(page: Page) -> Response:
    session = page.signed_in
    if session.org is None:
        return page.render("no_org.html")
    apps = page.services.authorized_apps.list(session.actor())
    return page.render("authorized_apps.html", apps=apps)


def revoke(page: Page) -> Response:
    page.services.authorized_apps.revoke(page.signed_in.actor(), page.path_params["app_id"])
    return redirect("/apps?done=app-revoked")


ROUTES: list[PageRoute] = [
    get("/apps", apps_list),
    post("/apps/{app_id}/revoke", revoke),
]
