"""Post/redirect/get for the actions that must never run twice (:mod:`tokensmith.services.reveals`).

A create, regenerate or delete form carries a one-time nonce (``form_nonce``). :func:`run_once`
claims it, runs the action and redirects (303) to the action's result; a second POST with the
same nonce — a double click, a reload of a page that was a POST's answer — is redirected to the
first one's result without acting. A new secret travels to its GET page sealed in the reveal,
which :func:`revealed` opens once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from tokensmith.core.errors import BadRequest
from tokensmith.dashboard.pages import Page, redirect
from tokensmith.services.reveals import Claim

FORM_NONCE_FIELD = "form_nonce"

#: What an action returns: the URL of its result page and the secret to seal for it, if any.
Outcome = tuple[str, dict[str, Any] | None]


def run_once(page: Page, action: Callable[[Claim], Outcome], *, fallback: str) -> Response:
    """Run ``action`` unless this form was already submitted; redirect to its result either way.

    ``fallback`` is where a duplicate goes when the first submission's result is not ready.
    """
    reveals = page.services.reveals
    claim = reveals.claim(page.signed_in.id_hash, page.field(FORM_NONCE_FIELD))
    if not claim.fresh:
        return redirect(claim.result_url or fallback)
    try:
        url, secret = action(claim)
    except BaseException:
        reveals.release(claim)
        raise
    reveals.complete(claim, url, secret)
    return redirect(url)


def require_confirmed(page: Page, refusal: str) -> None:
    """A destructive form's confirmation box must be ticked (``confirm=yes``)."""
    if page.field("confirm") != "yes":
        raise BadRequest(refusal)


def remove_once(page: Page, act: Callable[[], object], *, done_url: str, refusal: str) -> Response:
    """A confirmed delete, revoke or removal, once: ``act`` runs, then the browser goes to
    ``done_url`` (so does a second submission of the same form)."""
    require_confirmed(page, refusal)

    def action(claim: Claim) -> Outcome:
        act()
        return done_url, None

    return run_once(page, action, fallback=done_url.partition("?")[0])


def revealed(page: Page, reveal_id: str) -> dict[str, Any] | None:
    """The secret sealed for this session under ``reveal_id``, once (``None`` after that)."""
    return page.services.reveals.reveal(reveal_id, page.signed_in.id_hash)


def already_shown(page: Page, what: str, forward_url: str, forward_label: str) -> Response:
    """The page a reveal's second view gets: never the secret, and a way forward."""
    return page.render(
        "already_shown.html", status=410, what=what, forward_url=forward_url, forward_label=forward_label
    )
