"""``tokensmith orgs policy set --credential-tokens-per-hour`` and token reuse from the command line."""

from __future__ import annotations

from typing import Any

import pytest

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_quota_and_reuse_from_the_command_line(cli: Any) -> None:
    assert cli("orgs", "create", "Acme", "--json").returncode == 0
    policy = cli("orgs", "policy", "set", "Acme", "--credential-tokens-per-hour", "90", "--json")
    assert policy.returncode == 0, policy.stderr
    assert policy.json()["credential_tokens_per_hour"] == 90
    cleared = cli("orgs", "policy", "set", "Acme", "--credential-tokens-per-hour", "none", "--json")
    assert cleared.json()["credential_tokens_per_hour"] is None
    bad = cli("orgs", "policy", "set", "Acme", "--credential-tokens-per-hour", "lots")
    assert bad.returncode != 0 and "--credential-tokens-per-hour" in bad.stderr

    created = cli("credentials", "create", "--org", "Acme", "--name", "ci", "--reuse-tokens", "--json")
    assert created.returncode == 0, created.stderr
    assert created.json()["reuse_tokens"] is True
    client_id = created.json()["client_id"]
    off = cli("credentials", "reuse-tokens", client_id, "--off", "--json")
    assert off.returncode == 0, off.stderr
    assert off.json()["reuse_tokens"] is False


@SQLITE
def test_refresh_token_lifetimes_from_the_command_line(cli: Any) -> None:
    assert cli("orgs", "create", "Acme", "--json").returncode == 0
    policy = cli(
        "orgs",
        "policy",
        "set",
        "Acme",
        "--refresh-token-lifetime-seconds",
        "86400",
        "--refresh-token-idle-seconds",
        "3600",
        "--json",
    )
    assert policy.returncode == 0, policy.stderr
    assert policy.json()["refresh_token_lifetime_seconds"] == 86400
    assert policy.json()["refresh_token_idle_seconds"] == 3600
    cleared = cli("orgs", "policy", "set", "Acme", "--refresh-token-idle-seconds", "none", "--json")
    assert cleared.json()["refresh_token_idle_seconds"] is None
    assert cleared.json()["refresh_token_lifetime_seconds"] == 86400
    bad = cli("orgs", "policy", "set", "Acme", "--refresh-token-lifetime-seconds", "a-week")
    assert bad.returncode != 0 and "--refresh-token-lifetime-seconds" in bad.stderr
    short = cli("orgs", "policy", "set", "Acme", "--refresh-token-idle-seconds", "10")
    assert short.returncode != 0 and "refresh_token_idle_seconds" in short.stderr


@SQLITE
def test_client_kind_switches_from_the_command_line(cli: Any) -> None:
    assert cli("orgs", "create", "Acme", "--json").returncode == 0
    off = cli("orgs", "policy", "set", "Acme", "--no-registered-clients", "--json")
    assert off.returncode == 0, off.stderr
    assert off.json()["allow_registered_clients"] is False
    assert off.json()["allow_metadata_document_clients"] is True
    both = cli(
        "orgs", "policy", "set", "Acme", "--registered-clients", "--no-metadata-document-clients", "--json"
    )
    assert both.returncode == 0, both.stderr
    assert (both.json()["allow_registered_clients"], both.json()["allow_metadata_document_clients"]) == (
        True,
        False,
    )
    shown = cli("orgs", "policy", "show", "Acme")
    assert "allow_metadata_document_clients: False" in shown.stdout
