"""What several page areas show: the scope picker, the expiry picker, the code samples and the
Test API Call console's defaults."""

from __future__ import annotations

from typing import Any

from tokensmith.core import policies
from tokensmith.core.records import Credential, OrgPolicy
from tokensmith.dashboard.pages import Page
from tokensmith.services.api_console import METHODS

#: Expiry choices for new account tokens (days; ``None`` is "never"), filtered by the policy.
EXPIRY_CHOICES: list[tuple[int | None, str]] = [
    (7, "7 days"),
    (30, "30 days"),
    (60, "60 days"),
    (90, "90 days"),
    (365, "1 year"),
    (None, "No expiry"),
]


def scope_choices(page: Page, checked: set[str]) -> list[dict[str, Any]]:
    return [
        {"name": name, "description": description, "checked": name in checked}
        for name, description in page.services.scope_registry.items()
    ]


def expiry_choices(policy: OrgPolicy) -> list[tuple[str, str]]:
    """The expiry options the organisation's policy allows (core/policies.py), labelled."""
    labels = dict(EXPIRY_CHOICES)
    return [
        ("" if days is None else str(days), labels.get(days) or f"{days} days (the maximum)")
        for days in policies.expiry_choices(policy, [days for days, _ in EXPIRY_CHOICES])
    ]


def token_url(page: Page) -> str:
    return page.services.issuer.rstrip("/") + "/oauth2/token"


def default_test_url(page: Page) -> str:
    return page.services.settings.test_call_default_url or page.services.issuer.rstrip("/") + "/api/me"


def samples(page: Page, credential: Credential, secret: str | None) -> list[Any]:
    try:
        from tokensmith.samples import render_samples
    except ImportError:  # the samples package is optional for the dashboard
        return []
    scope = " ".join(sorted(credential.scopes))
    return list(
        render_samples(token_url(page), credential.client_id, scope, secret, api_url=default_test_url(page))
    )


def console(
    page: Page, token: str = "", url: str = "", method: str = "GET", body: str = ""
) -> dict[str, Any]:
    return {
        "token": token,
        "url": url or default_test_url(page),
        "method": method,
        "body": body,
        "methods": METHODS,
        "allowed": page.services.api_console.allowed_origins,
    }
