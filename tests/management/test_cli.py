"""CLI parity: ``tokensmith tokens …``, ``orgs members …``, ``orgs policy …`` with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from tokensmith.cli.main import app
from tokensmith.settings import Settings


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("TOKENSMITH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TOKENSMITH_SECRET_KEY", settings.secret_key)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout) if "--json" in args else result.stdout
        assert result.exit_code != 0
        return result.output

    return run


def test_tokens_create_list_revoke(cli: Callable[..., Any]) -> None:
    cli("orgs", "create", "cli-org", "--json")
    cli("users", "create", "dev@example.test", "--org", "cli-org", "--role", "member", "--json")
    created = cli(
        "tokens",
        "create",
        "--user",
        "dev@example.test",
        "--name",
        "CI",
        "--scopes",
        "api/access tokens:read",
        "--expires-in",
        "30",
        "--json",
    )
    assert set(created) == {"id", "token", "scopes", "expires_at"}
    assert created["token"].startswith("tsp_") and created["scopes"] == ["api/access", "tokens:read"]
    assert created["expires_at"] is not None
    listed = cli("tokens", "list", "--user", "dev@example.test", "--json")
    assert [t["id"] for t in listed] == [created["id"]]
    assert created["token"] not in json.dumps(listed) and listed[0]["last_used_at"] is None
    assert cli("tokens", "revoke", created["id"], "--json") == {"id": created["id"], "revoked": True}
    assert cli("tokens", "list", "--user", "dev@example.test", "--json") == []
    assert "no such token" in cli("tokens", "revoke", created["id"], ok=False)


def test_tokens_create_needs_org_when_the_user_has_several(cli: Callable[..., Any]) -> None:
    cli("orgs", "create", "one", "--json")
    cli("orgs", "create", "two", "--json")
    cli("users", "create", "both@example.test", "--org", "one", "--json")
    cli("orgs", "members", "add", "two", "both@example.test", "--json")
    assert "--org" in cli("tokens", "create", "--user", "both@example.test", "--name", "x", ok=False)
    created = cli("tokens", "create", "--user", "both@example.test", "--name", "x", "--org", "two", "--json")
    assert created["expires_at"] is None


def test_members_and_policy(cli: Callable[..., Any]) -> None:
    cli("orgs", "create", "team", "--json")
    cli("users", "create", "boss@example.test", "--org", "team", "--role", "owner", "--json")
    added = cli("orgs", "members", "add", "team", "dev@example.test", "--role", "admin", "--json")
    assert (added["email"], added["role"]) == ("dev@example.test", "admin")
    assert (
        cli("orgs", "members", "set-role", "team", "dev@example.test", "member", "--json")["role"] == "member"
    )
    members = cli("orgs", "members", "list", "team", "--json")
    assert [(m["email"], m["role"]) for m in members] == [
        ("boss@example.test", "owner"),
        ("dev@example.test", "member"),
    ]
    assert "last owner" in cli("orgs", "members", "remove", "team", "boss@example.test", ok=False)
    assert cli("orgs", "members", "remove", "team", "dev@example.test", "--json")["removed"] is True

    policy = cli(
        "orgs",
        "policy",
        "set",
        "team",
        "--pat-inactivity-days",
        "30",
        "--pat-max-lifetime-days",
        "90",
        "--no-org-credentials",
        "--json",
    )
    assert (policy["pat_inactivity_days"], policy["pat_max_lifetime_days"]) == (30, 90)
    assert policy["allow_org_credentials"] is False
    assert cli("orgs", "policy", "show", "team", "--json") == policy
    cleared = cli("orgs", "policy", "set", "team", "--pat-inactivity-days", "none", "--json")
    assert cleared["pat_inactivity_days"] is None and cleared["pat_max_lifetime_days"] == 90


def test_notify_expiring(cli: Callable[..., Any]) -> None:
    assert cli("tokens", "notify-expiring", "--json") == {"notices": 0}


def test_tokens_regenerate(cli: Callable[..., Any]) -> None:
    cli("orgs", "create", "regen-org", "--json")
    cli("users", "create", "regen@example.test", "--org", "regen-org", "--role", "member", "--json")
    created = cli(
        "tokens", "create", "--user", "regen@example.test", "--name", "CI", "--expires-in", "30", "--json"
    )
    regenerated = cli("tokens", "regenerate", created["id"], "--json")
    assert set(regenerated) == {"id", "token", "scopes", "expires_at"}
    assert regenerated["id"] == created["id"] and regenerated["token"] != created["token"]
    assert (regenerated["scopes"], regenerated["expires_at"]) == (created["scopes"], created["expires_at"])
    assert "shown once" in cli("tokens", "regenerate", created["id"])
    cli("tokens", "revoke", created["id"], "--json")
    assert "no such token" in cli("tokens", "regenerate", created["id"], ok=False)
