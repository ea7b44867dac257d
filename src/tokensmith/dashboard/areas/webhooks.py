"""Organisation webhooks (owners and admins; the services refuse anyone else): list and register
endpoints, the signing secret shown once after a redirect, an endpoint's recent deliveries and
their replay, turning an endpoint off and on again, and deleting it."""

from __future__ import annotations

import functools

from starlette.responses import Response

from tokensmith.core.webhook_events import EVENT_TYPES
from tokensmith.dashboard.areas.members import org_id
from tokensmith.dashboard.forms import Form, submit
from tokensmith.dashboard.once import Outcome, already_shown, remove_once, revealed, run_once
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect
from tokensmith.services.reveals import Claim

#: The new endpoint form's fields (a refusal is shown next to the one it names, forms.place_error).
FIELDS = ("url", "description", "events")
#: How many of an endpoint's deliveries its page shows, newest first.
RECENT_DELIVERIES = 50


def webhooks_page(page: Page, form: Form | None = None, status: int = 200) -> Response:
    endpoints = page.services.webhooks.list(page.signed_in.actor(), org_id(page))
    return page.render(
        "webhooks.html",
        status=status,
        endpoints=endpoints,
        event_types=sorted(EVENT_TYPES.items()),
        form=form or Form(values={"events": []}),
    )


def webhook_create(page: Page) -> Response:
    form = Form(
        values={
            "url": page.field("url").strip(),
            "description": page.field("description"),
            "events": page.fields("events"),
        }
    )
    organisation = org_id(page)

    def create(claim: Claim) -> Outcome:
        created = page.services.webhooks.create(
            page.signed_in.actor(),
            organisation,
            url=form.values["url"],
            events=form.values["events"],
            description=form.values["description"],
        )
        endpoint_id = created.endpoint.id
        sealed = {"endpoint_id": endpoint_id, "secret": created.secret}
        return f"/org/webhooks/{endpoint_id}/secret/{claim.reveal_id}", sealed

    return submit(
        page,
        form,
        create,
        fallback_url="/org/webhooks",
        fields=FIELDS,
        render=functools.partial(webhooks_page, page),
    )


def webhook_secret(page: Page) -> Response:
    endpoint = page.services.webhooks.get(
        page.signed_in.actor(), org_id(page), page.path_params["endpoint_id"]
    )
    shown = revealed(page, page.path_params["reveal"])
    if shown is None or shown.get("endpoint_id") != endpoint.id:
        return already_shown(page, "signing secret", f"/org/webhooks/{endpoint.id}", "Back to the endpoint")
    return page.render("webhook_secret.html", endpoint=endpoint, secret=shown["secret"])


def webhook_detail(page: Page) -> Response:
    actor, organisation = page.signed_in.actor(), org_id(page)
    endpoint = page.services.webhooks.get(actor, organisation, page.path_params["endpoint_id"])
    deliveries = page.services.webhooks.deliveries(actor, organisation, endpoint.id, limit=RECENT_DELIVERIES)
    return page.render(
        "webhook.html", endpoint=endpoint, deliveries=deliveries, event_descriptions=EVENT_TYPES
    )


def webhook_enabled(page: Page) -> Response:
    """Turn an endpoint off, or on again (its failure count starts over and its queue resumes)."""
    endpoint = page.services.webhooks.update(
        page.signed_in.actor(),
        org_id(page),
        page.path_params["endpoint_id"],
        enabled=page.field("enabled") == "yes",
    )
    done = "webhook-enabled" if endpoint.enabled else "webhook-disabled"
    return redirect(f"/org/webhooks/{endpoint.id}?done={done}")


def webhook_replay(page: Page) -> Response:
    endpoint_id, delivery_id = page.path_params["endpoint_id"], page.path_params["delivery_id"]

    def replay(claim: Claim) -> Outcome:
        page.services.webhooks.replay(page.signed_in.actor(), org_id(page), endpoint_id, delivery_id)
        return f"/org/webhooks/{endpoint_id}?done=webhook-replayed", None

    return run_once(page, replay, fallback=f"/org/webhooks/{endpoint_id}")


def webhook_delete(page: Page) -> Response:
    endpoint_id = page.path_params["endpoint_id"]
    return remove_once(
        page,
        lambda: page.services.webhooks.delete(page.signed_in.actor(), org_id(page), endpoint_id),
        done_url="/org/webhooks?done=webhook-deleted",
        refusal="tick the confirmation box to delete the endpoint",
    )


ROUTES: list[PageRoute] = [
    get("/org/webhooks", webhooks_page),
    post("/org/webhooks", webhook_create),
    get("/org/webhooks/{endpoint_id}", webhook_detail),
    get("/org/webhooks/{endpoint_id}/secret/{reveal}", webhook_secret),
    post("/org/webhooks/{endpoint_id}/enabled", webhook_enabled),
    post("/org/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", webhook_replay),
    post("/org/webhooks/{endpoint_id}/delete", webhook_delete),
]
