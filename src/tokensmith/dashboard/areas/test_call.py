"""Test API Call: one request with a token, made from this server (services/api_console.py)."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.core.errors import BadRequest
from tokensmith.dashboard import widgets
from tokensmith.dashboard.pages import Page, PageRoute, post


def test_call(page: Page) -> Response:
    console = widgets.console(
        page,
        token=page.field("token"),
        url=page.field("url"),
        method=page.field("method", "GET"),
        body=page.field("body"),
    )
    result = None
    error = None
    try:
        result = page.services.api_console.call(
            console["method"], console["url"], console["token"], console["body"]
        )
    except BadRequest as exc:
        error = exc.description
    return page.render(
        "test_call.html", console=console, result=result, error=error, status=200 if error is None else 400
    )


ROUTES: list[PageRoute] = [post("/test-call", test_call)]
