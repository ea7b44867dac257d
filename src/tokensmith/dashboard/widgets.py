"""What several page areas show: the scope picker (only what the user may grant, grouped by
resource), the expiry picker, the code samples and the Test API Call console's defaults."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tokensmith.core import delegation, permissions, policies
from tokensmith.core.actors import Actor
from tokensmith.core.errors import ProblemError
from tokensmith.core.records import Credential, OrgPolicy
from tokensmith.dashboard.pages import Page
from tokensmith.services.api_console import METHODS
from tokensmith.services.personal_tokens import MAX_LIFETIME_DAYS

#: Expiry choices for new account tokens (days; ``None`` is "never"), filtered by the policy.
EXPIRY_CHOICES: list[tuple[int | None, str]] = [
    (7, "7 days"),
    (30, "30 days"),
    (60, "60 days"),
    (90, "90 days"),
    (365, "1 year"),
    (None, "No expiry"),
]


def _accepted(name: str, registry: dict[str, str], actor: Actor) -> bool:
    try:
        permissions.check_scopes([name], registry, actor)
    except ProblemError:
        return False
    return True


def grantable_scopes(page: Page, *, credential: bool) -> list[str]:
    """The registry's scopes the signed-in user may grant, in registry order: those the scope
    rule (:func:`~tokensmith.core.permissions.check_scopes`) accepts from them, and for a
    credential also those their role lets a personal credential carry
    (:func:`~tokensmith.core.delegation.grantable`)."""
    actor = page.signed_in.actor()
    registry = page.services.scope_registry
    names = [name for name in registry if _accepted(name, registry, actor)]
    if credential and actor.role is not None:
        allowed = delegation.grantable(actor.role, names)
        names = [name for name in names if name in allowed]
    return names


def _resource_and_action(name: str) -> tuple[str, str]:
    for separator in (":", "/"):
        resource, found, action = name.partition(separator)
        if found:
            return resource, action
    return name, ""


_ACTION_ORDER = {"read": 0, "write": 1}


def scope_groups(page: Page, checked: set[str], *, credential: bool) -> list[dict[str, Any]]:
    """The scope picker: grantable scopes grouped by resource, read before write."""
    registry = page.services.scope_registry
    groups: dict[str, list[dict[str, Any]]] = {}
    for name in grantable_scopes(page, credential=credential):
        resource, action = _resource_and_action(name)
        groups.setdefault(resource, []).append(
            {"name": name, "action": action, "description": registry[name], "checked": name in checked}
        )
    return [
        {
            "label": resource.replace("_", " ").capitalize() if resource != "api" else "API",
            "scopes": sorted(scopes, key=lambda s: _ACTION_ORDER.get(s["action"], 2)),
        }
        for resource, scopes in groups.items()
    ]


def expiry_choices(policy: OrgPolicy) -> list[tuple[str, str]]:
    """The expiry options the organisation's policy allows (core/policies.py), labelled."""
    labels = dict(EXPIRY_CHOICES)
    return [
        ("" if days is None else str(days), labels.get(days) or f"{days} days (the maximum)")
        for days in policies.expiry_choices(policy, [days for days, _ in EXPIRY_CHOICES])
    ]


def latest_expiry_day(policy: OrgPolicy, today: date) -> str:
    """The last day the date picker offers: the policy's maximum lifetime (the service decides)."""
    days = policy.pat_max_lifetime_days if policy.pat_max_lifetime_days is not None else MAX_LIFETIME_DAYS
    return (today + timedelta(days=days)).isoformat()


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
