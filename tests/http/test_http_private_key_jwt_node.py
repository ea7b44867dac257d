"""An outside client (not ours): node ``openid-client`` authenticates with ``private_key_jwt``
(RFC 7523 §2.2; its assertion's ``aud`` is the issuer) through discovery against a live Tokensmith,
on SQLite and PostgreSQL, and node ``jose`` verifies the token it gets on the published JWKS."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, _unavailable
from tests.http.private_key_jwt_support import ClientKeyPair, key_credential

NODE_DIR = Path(__file__).resolve().parents[1] / "interop_node"


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """``tests/interop_node`` with its packages installed (``npm ci`` on first use)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm", "not installed")
    if not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        installed = subprocess.run(  # noqa: S603 - npm from PATH, our own package.json
            ["npm", "ci", "--no-audit", "--no-fund"],  # noqa: S607
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if installed.returncode != 0:
            _unavailable("the npm registry", installed.stderr[-300:])
    return NODE_DIR


def run_client(node_clients: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        ["node", "private_key_jwt_client.mjs", *args],  # noqa: S607
        cwd=node_clients,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_openid_client_authenticates_with_private_key_jwt_and_jose_verifies_the_token(
    node_clients: Path, live_server: Any, make_org: Any
) -> None:
    pair = ClientKeyPair()
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    result = run_client(
        node_clients, live_server.url, credential.client_id, json.dumps(pair.private_jwk), pair.kid or ""
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["token_type"].lower() == "bearer" and out["scope"] == "api/access"
    assert out["claims"]["client_id"] == credential.client_id and out["claims"]["iss"] == live_server.url
    assert "private_key_jwt" in out["auth_methods"] and "ES256" in out["signing_algs"]
    assert out["second"].lower() == "bearer"


def test_openid_client_with_a_key_the_credential_does_not_hold_is_refused(
    node_clients: Path, live_server: Any, make_org: Any
) -> None:
    pair = ClientKeyPair()
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    stranger = ClientKeyPair(kid=pair.kid)
    result = run_client(
        node_clients, live_server.url, credential.client_id, json.dumps(stranger.private_jwk), pair.kid or ""
    )
    assert result.returncode != 0
    assert "invalid_client" in result.stderr


@pytest.mark.parametrize("nonces", [False, True], ids=["no-nonce", "nonce"])
def test_openid_client_with_private_key_jwt_and_dpop_gets_bound_tokens_from_a_credential_requiring_dpop(
    node_clients: Path, live_server_factory: Callable[..., LiveServer], make_org: Any, nonces: bool
) -> None:
    """Keyless and sender-constrained at once: openid-client's PrivateKeyJwt with its DPoP handle
    (answering the nonce challenge itself); node jose verifies the token and its cnf.jkt."""
    # The live server's clock is the tests' frozen one; openid-client signs with the real clock.
    server = live_server_factory(dpop_nonces=nonces, dpop_leeway_seconds=60)
    pair = ClientKeyPair()
    credential = key_credential(server.services, make_org(), keys=[pair], require_dpop=True)
    args = (server.url, credential.client_id, json.dumps(pair.private_jwk), pair.kid or "")
    result = run_client(node_clients, *args, "dpop")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["token_type"].lower() == "dpop" and out["second"].lower() == "dpop"
    assert out["claims"]["cnf"] == {"jkt": out["jkt"]}
    assert out["claims"]["client_id"] == credential.client_id
    refused = run_client(node_clients, *args)  # the same client without DPoP
    assert refused.returncode != 0
    assert "invalid_dpop_proof" in refused.stderr
