"""Outside clients (not ours): node ``openid-client`` gets a DPoP-bound token (RFC 9449) from a live
Tokensmith — answering the server's nonce challenge itself — node ``jose`` verifies it and its
``cnf.jkt``, and the token works on a protected resource only with openid-client's proofs."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, _unavailable

NODE_DIR = Path(__file__).resolve().parents[1] / "interop_node"


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """``tests/interop_node`` with its packages installed (``npm ci`` on first use)."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        _unavailable("node and npm", "not installed")
    assert npm is not None
    if not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        installed = subprocess.run(  # noqa: S603 - npm from PATH, our own package.json
            [
                npm,
                "ci" if (NODE_DIR / "package-lock.json").exists() else "install",
                "--no-audit",
                "--no-fund",
            ],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if installed.returncode != 0:
            _unavailable("the npm registry", installed.stderr[-300:])
    return NODE_DIR


@pytest.mark.parametrize("nonces", [False, True], ids=["no-nonce", "nonce"])
def test_openid_client_gets_a_dpop_bound_token_and_jose_verifies_it(
    node_clients: Path, live_server_factory: Callable[..., LiveServer], make_credential: Any, nonces: bool
) -> None:
    # The live server's clock is the tests' frozen one; openid-client signs with the real clock.
    server = live_server_factory(dpop_nonces=nonces, dpop_leeway_seconds=60)
    cred = make_credential()
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(  # noqa: S603 - node from PATH, our own script
        [node, "dpop_client.mjs", server.url, cred.client_id, cred.client_secret, f"{server.url}/api/me"],
        cwd=node_clients,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["token_type"].lower() == "dpop"
    assert out["cnf"] == {"jkt": out["jkt"]}
    assert out["resource_status"] == 200, out
    assert out["resource_body"]["credential"]["client_id"] == cred.client_id
    assert out["bearer_status"] == 401  # the same token without the key's proof
    assert "ES256" in out["dpop_algs"]
