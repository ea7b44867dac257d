"""``tokensmith resources create|list|delete`` (PRODUCT.md's command-line contract): ``--json``
prints exactly ``{"id", "uri", "scopes"}``; a bad URI or scope exits 1 with one line on stderr."""

from __future__ import annotations

from typing import Any

import jwt

from tests.cli.test_cli_commands import failed, ok
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.services.container import Services


def test_create_prints_the_contract_and_the_resource_issues_tokens(
    cli: Any, services: Services, make_org: Any
) -> None:
    created = ok(
        cli(
            "resources",
            "create",
            "--name",
            "Billing API",
            "--uri",
            "https://Billing.Example.test/v1",
            "--scopes",
            "project:read api/access",
            "--json",
        )
    )
    assert set(created) == {"id", "uri", "scopes"}
    assert created["uri"] == "https://billing.example.test/v1"  # scheme and host lowercased
    assert created["scopes"] == ["api/access", "project:read"]

    listed = ok(cli("resources", "list", "--json"))
    assert [r["id"] for r in listed][:3] == ["management", "mcp", "platform"]
    assert listed[3]["id"] == created["id"] and listed[3]["builtin"] is False

    # The server (another process, same database) issues tokens for it.
    org = make_org()
    made = services.credentials.create(
        Actor.system(), org_id=org.id, name="ci", kind=CredentialKind.ORGANIZATION, scopes=["project:read"]
    )
    issued = services.client_credentials.issue(
        made.credential.client_id, made.client_secret, None, None, resource=created["uri"]
    )
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert claims["aud"] == created["uri"] and claims["scope"] == "project:read"

    assert ok(cli("resources", "delete", created["id"], "--json")) == {"id": created["id"], "deleted": True}
    assert [r["id"] for r in ok(cli("resources", "list", "--json"))] == ["management", "mcp", "platform"]


def test_without_scopes_the_resource_accepts_none(cli: Any) -> None:
    created = ok(cli("resources", "create", "--name", "Audience only", "--uri", "urn:example:api", "--json"))
    assert created["scopes"] == [] and created["uri"] == "urn:example:api"


def test_bad_input_is_one_line_on_stderr(cli: Any) -> None:
    assert "fragment" in failed(
        cli("resources", "create", "--name", "x", "--uri", "https://a.example/#f", "--json")
    )
    assert "absolute URI" in failed(cli("resources", "create", "--name", "x", "--uri", "/relative", "--json"))
    assert "query" in failed(
        cli("resources", "create", "--name", "x", "--uri", "https://a.example/?q=1", "--json")
    )
    assert "unknown scope" in failed(
        cli("resources", "create", "--name", "x", "--uri", "https://a.example", "--scopes", "nope", "--json")
    )
    ok(cli("resources", "create", "--name", "x", "--uri", "https://a.example", "--json"))
    assert "already exists" in failed(
        cli("resources", "create", "--name", "y", "--uri", "https://A.example", "--json")
    )
    assert "built-in" in failed(cli("resources", "delete", "mcp", "--json"))
    assert "no such resource" in failed(cli("resources", "delete", "00000000-0000-0000-0000-000000000000"))
