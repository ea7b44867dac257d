"""The ``tokensmith`` command line, run as a subprocess: ``--json`` prints exactly one JSON
document on stdout; errors exit 1 with one line on stderr and no traceback."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tokensmith.core import ids
from tokensmith.core import secrets as sf
from tokensmith.core.errors import InvalidClient

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def ok(result: Any) -> Any:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1  # one line, one document
    return result.json()


def failed(result: Any) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_full_flow(cli: Any, services: Any) -> None:
    org = ok(cli("orgs", "create", "Acme", "--json"))
    assert set(org) == {"id", "name"} and org["name"] == "Acme"

    user = ok(
        cli(
            "users",
            "create",
            "Dev@Example.test",
            "--org",
            "Acme",
            "--role",
            "admin",
            "--password-stdin",
            "--json",
            input="correct horse battery\n",
        )
    )
    assert set(user) == {"id", "email"} and user["email"] == "dev@example.test"

    created = ok(
        cli(
            "credentials",
            "create",
            "--org",
            "Acme",
            "--name",
            "CI",
            "--scopes",
            "api/access project:read",
            "--format",
            "opaque",
            "--ttl",
            "900",
            "--json",
        )
    )
    assert {"client_id", "client_secret", "kind", "scopes"} <= set(created)
    assert created["kind"] == "organization"
    assert created["scopes"] == ["api/access", "project:read"]
    assert ids.is_client_id(created["client_id"])
    assert sf.is_well_formed(created["client_secret"], "tss_")
    credential, _org = services.credentials.authenticate(created["client_id"], created["client_secret"])
    assert (credential.token_format.value, credential.token_ttl) == ("opaque", 900)

    personal = ok(
        cli(
            "credentials",
            "create",
            "--org",
            org["id"],
            "--name",
            "mine",
            "--user",
            "dev@example.test",
            "--json",
        )
    )
    assert personal["kind"] == "personal" and personal["scopes"] == ["api/access"]

    listed = ok(cli("credentials", "list", "--org", "Acme", "--json"))
    assert sorted(c["client_id"] for c in listed) == sorted([created["client_id"], personal["client_id"]])
    listed_text = json.dumps(listed)
    assert created["client_secret"] not in listed_text and created["client_secret"][-4:] in listed_text

    rotated = ok(cli("credentials", "rotate", created["client_id"], "--json"))
    assert set(rotated) == {"client_id", "client_secret"} and rotated["client_id"] == created["client_id"]
    with pytest.raises(InvalidClient):
        services.credentials.authenticate(created["client_id"], created["client_secret"])
    services.credentials.authenticate(created["client_id"], rotated["client_secret"])

    graced = ok(cli("credentials", "rotate", created["client_id"], "--grace", "600", "--json"))
    services.credentials.authenticate(created["client_id"], rotated["client_secret"])  # still, for 600 s
    services.credentials.authenticate(created["client_id"], graced["client_secret"])

    deleted = ok(cli("credentials", "delete", personal["client_id"], "--json"))
    assert deleted["client_id"] == personal["client_id"]
    with pytest.raises(InvalidClient):
        services.credentials.authenticate(personal["client_id"], personal["client_secret"])


@SQLITE
def test_keys_rotate_and_list(cli: Any, services: Any) -> None:
    before = ok(cli("keys", "list", "--json"))
    assert [k["state"] for k in before] == ["active"]
    rotated = ok(cli("keys", "rotate", "--json"))
    assert {"kid", "algorithm", "state"} <= set(rotated)
    assert rotated["algorithm"] == "ES256"
    assert rotated["state"] == "active"  # publish delay 0 in this environment
    after = ok(cli("keys", "list", "--json"))
    assert {k["kid"]: k["state"] for k in after} == {before[0]["kid"]: "retired", rotated["kid"]: "active"}
    services.keyring.reload()
    assert {k["kid"] for k in services.keyring.jwks()["keys"]} == {before[0]["kid"], rotated["kid"]}
    next_key = ok(
        cli(
            "keys",
            "rotate",
            "--algorithm",
            "EdDSA",
            "--json",
            env={"TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS": "600"},
        )
    )
    assert (next_key["algorithm"], next_key["state"]) == ("EdDSA", "next")


ERRORS = [
    (("credentials", "rotate", "a" * 26, "--json"), None, {}, "no such credential"),
    (("credentials", "create", "--org", "Nope", "--name", "x", "--json"), None, {}, "no organisation"),
    (
        ("users", "create", "x@example.test", "--org", "Acme", "--password-stdin", "--json"),
        "",
        {},
        "password",
    ),
    (
        ("credentials", "create", "--org", "Acme", "--name", "x", "--scopes", "nope", "--json"),
        None,
        {},
        "nope",
    ),
    (("orgs", "create", "Acme", "--json"), None, {}, "already exists"),
    (("orgs", "create", "B", "--json"), None, {"TOKENSMITH_SECRET_KEY": "short"}, "32 characters"),
    (
        ("orgs", "create", "B", "--json"),
        None,
        {"TOKENSMITH_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nope"},
        "database is unreachable",
    ),
]


@SQLITE
def test_errors_are_one_line_on_stderr(cli: Any) -> None:
    """Not found, bad request, conflict, bad settings, database down: exit 1, one line, no traceback."""
    ok(cli("orgs", "create", "Acme", "--json"))
    for args, stdin, env, message in ERRORS:
        result = cli(*args, input=stdin, env=env)
        line = failed(result)
        assert message in line, (args, line)
        assert result.stdout == "", args


@SQLITE
def test_token_command_against_a_live_server(cli: Any, live_server: Any, make_credential: Any) -> None:
    cred = make_credential()
    result = cli(
        "token",
        "--client-id",
        cred.client_id,
        "--client-secret",
        cred.client_secret,
        "--url",
        live_server.url,
    )
    assert result.returncode == 0, result.stderr
    body = result.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["scope"]) == ("Bearer", "api/access")
    scoped = cli(
        "token",
        "--client-id",
        cred.client_id,
        "--client-secret",
        cred.client_secret,
        "--scope",
        "api/access",
        "--url",
        live_server.url + "/oauth2/token",
    )
    assert scoped.returncode == 0 and scoped.json()["scope"] == "api/access"
    wrong = cli(
        "token",
        "--client-id",
        cred.client_id,
        "--client-secret",
        sf.generate("tss_"),
        "--url",
        live_server.url,
    )
    assert wrong.returncode == 1
    assert wrong.json()["error"] == "invalid_client"


@SQLITE
def test_token_command_with_no_server(cli: Any) -> None:
    result = cli(
        "token",
        "--client-id",
        "a" * 26,
        "--client-secret",
        sf.generate("tss_"),
        "--url",
        "http://127.0.0.1:1",
    )
    line = failed(result)
    assert re.search(r"cannot reach", line)
