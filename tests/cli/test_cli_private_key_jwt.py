"""The command-line contract for keyless credentials (PRODUCT.md): ``tokensmith credentials create
… --auth private_key_jwt (--jwks FILE | --jwks-uri URL) --json`` prints the client ID, kind,
``auth_method``, scopes and key thumbprints — and no secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.http.private_key_jwt_support import ClientKeyPair
from tokensmith.cli.main import app
from tokensmith.core.client_keys import thumbprint
from tokensmith.settings import Settings

CONTRACT = {"client_id", "kind", "auth_method", "scopes", "key_thumbprints"}


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


def test_create_with_a_jwks_file_prints_the_contract_and_no_secret(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    cli("orgs", "create", "keyless", "--json")
    first, second = ClientKeyPair(), ClientKeyPair(alg="EdDSA")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [first.public_jwk, second.public_jwk]}))
    created = cli(
        "credentials", "create", "--org", "keyless", "--name", "signer", "--auth", "private_key_jwt",
        "--jwks", str(jwks), "--json",
    )  # fmt: skip
    assert set(created) >= CONTRACT and "client_secret" not in created
    assert created["auth_method"] == "private_key_jwt" and created["kind"] == "organization"
    assert created["scopes"] == ["api/access"]
    assert created["key_thumbprints"] == [thumbprint(first.public_jwk), thumbprint(second.public_jwk)]
    human = cli(
        "credentials", "create", "--org", "keyless", "--name", "again", "--auth", "private_key_jwt",
        "--jwks", str(jwks),
    )  # fmt: skip
    assert thumbprint(first.public_jwk) in human and "secret" not in human


def test_create_with_a_jwks_uri_for_a_member(cli: Callable[..., Any]) -> None:
    cli("orgs", "create", "keyless", "--json")
    cli("users", "create", "dev@example.test", "--org", "keyless", "--role", "member", "--json")
    created = cli(
        "credentials", "create", "--org", "keyless", "--name", "svc", "--user", "dev@example.test",
        "--auth", "private_key_jwt", "--jwks-uri", "https://client.example.test/jwks.json", "--json",
    )  # fmt: skip
    assert set(created) >= CONTRACT and "client_secret" not in created
    assert created["kind"] == "personal" and created["key_thumbprints"] == []
    assert created["jwks_uri"] == "https://client.example.test/jwks.json"


def test_refusals_are_one_line_errors(cli: Callable[..., Any], tmp_path: Path) -> None:
    cli("orgs", "create", "keyless", "--json")
    leaked = tmp_path / "leaked.json"
    leaked.write_text(json.dumps(ClientKeyPair().private_jwk))
    base = ("credentials", "create", "--org", "keyless", "--name", "x", "--auth", "private_key_jwt")
    assert "private key material" in cli(*base, "--jwks", str(leaked), "--json", ok=False)
    assert "exactly one of jwks or jwks_uri" in cli(*base, "--json", ok=False)
    not_json = tmp_path / "bad.json"
    not_json.write_text("{")
    assert "not valid JSON" in cli(*base, "--jwks", str(not_json), "--json", ok=False)
    assert "cannot read" in cli(*base, "--jwks", str(tmp_path / "missing.json"), "--json", ok=False)
    output = cli("credentials", "create", "--org", "keyless", "--name", "y", "--jwks", str(leaked), ok=False)
    assert "private_key_jwt" in output
    assert "Traceback" not in output
