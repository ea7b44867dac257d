"""Test API Call: one request with a token, made from this server (services/api_console.py).

The POST makes the call and redirects; the token and the answer reach the result page sealed in
a one-time reveal (the token is a secret), so a reload never sends the request again.
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.responses import Response

from tokensmith.core.errors import BadRequest
from tokensmith.dashboard import widgets
from tokensmith.dashboard.once import Outcome, already_shown, revealed, run_once
from tokensmith.dashboard.pages import Page, PageRoute, get, post
from tokensmith.services.reveals import Claim

FIELDS = ("token", "url", "method", "body")


def test_call(page: Page) -> Response:
    console = widgets.console(
        page,
        token=page.field("token"),
        url=page.field("url"),
        method=page.field("method", "GET"),
        body=page.field("body"),
    )

    def call(claim: Claim) -> Outcome:
        sealed: dict[str, object] = {"console": {name: console[name] for name in FIELDS}}
        try:
            result = page.services.api_console.call(
                console["method"], console["url"], console["token"], console["body"]
            )
            sealed["result"] = asdict(result)
        except BadRequest as exc:
            sealed["error"] = exc.description
        return f"/test-call/{claim.reveal_id}", sealed

    return run_once(page, call, fallback="/credentials")


def test_call_result(page: Page) -> Response:
    sealed = revealed(page, page.path_params["reveal"])
    if sealed is None:
        return already_shown(page, "API call result", "/credentials", "Back to API credentials")
    console = widgets.console(page, **sealed["console"])
    result = sealed.get("result")
    if result is not None:
        result["headers"] = [tuple(pair) for pair in result["headers"]]
    error = sealed.get("error")
    return page.render(
        "test_call.html", console=console, result=result, error=error, status=200 if error is None else 400
    )


ROUTES: list[PageRoute] = [
    post("/test-call", test_call),
    get("/test-call/{reveal}", test_call_result),
]
