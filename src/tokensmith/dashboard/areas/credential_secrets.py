"""A credential's secrets, each shown once after a redirect: the client secret made at creation or
by "Regenerate secret", and an access token made by "Generate Token"."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from tokensmith.core.errors import BadRequest
from tokensmith.core.records import Credential
from tokensmith.dashboard import widgets
from tokensmith.dashboard.once import Outcome, already_shown, require_confirmed, revealed, run_once
from tokensmith.dashboard.pages import Page, PageRoute, get, post
from tokensmith.services.reveals import Claim


def secret_outcome(claim: Claim, credential: Credential, secret: str, *, regenerated: bool) -> Outcome:
    """Where a new client secret is shown, and what is sealed for that page."""
    sealed = {"credential_id": credential.id, "client_secret": secret, "regenerated": regenerated}
    return f"/credentials/{credential.id}/secret/{claim.reveal_id}", sealed


def credential_secret(page: Page) -> Response:
    credential = page.services.credentials.get(page.signed_in.actor(), page.path_params["ref"])
    secret = revealed(page, page.path_params["reveal"])
    if secret is None or secret.get("credential_id") != credential.id:
        return already_shown(
            page, "client secret", f"/credentials/{credential.id}#danger-heading", "Regenerate the secret"
        )
    return page.render(
        "credential_secret.html",
        credential=credential,
        secret=secret["client_secret"],
        samples=widgets.samples(page, credential, secret["client_secret"]),
        token_url=widgets.token_url(page),
        regenerated=bool(secret.get("regenerated")),
    )


def credential_regenerate(page: Page) -> Response:
    require_confirmed(page, "tick the confirmation box to regenerate the secret")
    try:
        grace = int(page.field("grace_seconds", "0") or 0)
    except ValueError:
        raise BadRequest("the grace period must be a number of seconds") from None

    def regenerate(claim: Claim) -> Outcome:
        created = page.services.credentials.regenerate(
            page.signed_in.actor(), page.path_params["ref"], grace_seconds=grace
        )
        return secret_outcome(claim, created.credential, created.client_secret, regenerated=True)

    return run_once(page, regenerate, fallback=f"/credentials/{page.path_params['ref']}")


def credential_token(page: Page) -> Response:
    def generate(claim: Claim) -> Outcome:
        generated = page.services.studio.generate(page.signed_in.actor(), page.path_params["ref"])
        issued = generated.issued
        sealed = {
            "credential_id": generated.credential.id,
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "expires_at": issued.expires_at.isoformat(),
            "scope": issued.scope,
            "header": generated.header,
            "claims": generated.claims,
        }
        return f"/credentials/{generated.credential.id}/token/{claim.reveal_id}", sealed

    return run_once(page, generate, fallback=f"/credentials/{page.path_params['ref']}")


def credential_token_page(page: Page) -> Response:
    credential = page.services.credentials.get(page.signed_in.actor(), page.path_params["ref"])
    token = revealed(page, page.path_params["reveal"])
    if token is None or token.get("credential_id") != credential.id:
        return already_shown(page, "access token", f"/credentials/{credential.id}", "Generate another token")
    token["expires_at"] = datetime.fromisoformat(token["expires_at"])
    return page.render(
        "credential_token.html",
        token=token,
        credential=credential,
        console=widgets.console(page, token=token["access_token"]),
    )


ROUTES: list[PageRoute] = [
    get("/credentials/{ref}/secret/{reveal}", credential_secret),
    post("/credentials/{ref}/token", credential_token),
    get("/credentials/{ref}/token/{reveal}", credential_token_page),
    post("/credentials/{ref}/regenerate", credential_regenerate),
]
