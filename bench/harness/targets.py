"""What ``make bench`` measures. A target is a name, a way to prepare and start one server
process, the request it is loaded with, a readiness URL and what its token must look like.

To add a row, write one ``prepare`` function returning a :class:`Prepared` and add a
:class:`Target` to :func:`all_targets`.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.checks import TokenExpectation
from harness.loadgen import RequestSpec
from harness.tools import BENCH_DIR, PEER_DIR

HOST = "127.0.0.1"
SCOPE = "api/access"
TOKEN_BODY = f"grant_type=client_credentials&scope={SCOPE.replace('/', '%2F')}"

#: The uvicorn options ``tokensmith serve`` runs with (src/tokensmith/cli/serve.py: one worker,
#: access_log=False, log_level="info", proxy_headers=False, server_header=False); the floor is
#: served with the same ones. Keep the two in step.
UVICORN_OPTIONS: tuple[str, ...] = (
    "--workers=1",
    "--no-access-log",
    "--log-level=info",
    "--no-proxy-headers",
    "--no-server-header",
)


@dataclass(frozen=True)
class Context:
    """Where and how one target runs: its port and a private temporary directory."""

    port: int
    workdir: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass(frozen=True)
class Prepared:
    """A target ready to start: its command, the request to load it with, and its checks."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    request: RequestSpec
    ready_path: str
    token: TokenExpectation | None


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    prepare: Callable[[Context], Prepared]
    #: Why the target cannot run on this checkout, or ``None`` when it can.
    unavailable: Callable[[], str | None] = lambda: None


def basic_token_request(client_id: str, client_secret: str) -> RequestSpec:
    """RFC 6749 §4.4 client credentials with client_secret_basic (§2.3.1)."""
    credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return RequestSpec(
        method="POST",
        path="/oauth2/token",
        headers={
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        body=TOKEN_BODY,
    )


# --- Tokensmith ---------------------------------------------------------------------------


def _tokensmith_bin() -> str:
    return str(Path(sys.executable).with_name("tokensmith"))


def _tokensmith_unavailable() -> str | None:
    if importlib.util.find_spec("tokensmith") is None:
        return "tokensmith is not installed in this venv"
    if importlib.util.find_spec("tokensmith.cli.main") is None:
        return "the tokensmith CLI (tokensmith.cli.main) is not on this branch yet"
    return None


def _tokensmith_cli(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    result = subprocess.run(
        [_tokensmith_bin(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"tokensmith {' '.join(args[:2])} failed ({result.returncode}):\n{result.stderr}")
    if "--json" not in args:
        return {}
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def prepare_tokensmith(ctx: Context) -> Prepared:
    env = {
        **os.environ,
        "TOKENSMITH_DATABASE_URL": f"sqlite:///{ctx.workdir / 'bench.db'}",
        "TOKENSMITH_SECRET_KEY": secrets.token_urlsafe(32),
        "TOKENSMITH_ISSUER": ctx.base_url,
        "TOKENSMITH_SIGNING_ALGORITHM": "ES256",
    }
    _tokensmith_cli(["migrate"], env, ctx.workdir)
    _tokensmith_cli(["orgs", "create", "bench", "--json"], env, ctx.workdir)
    credential = _tokensmith_cli(
        ["credentials", "create", "--org", "bench", "--name", "bench", "--scopes", SCOPE, "--json"],
        env,
        ctx.workdir,
    )
    return Prepared(
        argv=[_tokensmith_bin(), "serve", "--host", HOST, "--port", str(ctx.port)],
        env=env,
        cwd=ctx.workdir,
        request=basic_token_request(credential["client_id"], credential["client_secret"]),
        ready_path="/.well-known/oauth-authorization-server",
        token=TokenExpectation(alg="ES256", jwks_path="/.well-known/jwks.json"),
    )


def prepare_tokensmith_management(ctx: Context) -> Prepared:
    """The management API's hot read: ``GET /api/tokens`` authenticated by a personal token
    (checksum, keyed-hash lookup, membership and policy checks, coalesced last-used note)."""
    env = {
        **os.environ,
        "TOKENSMITH_DATABASE_URL": f"sqlite:///{ctx.workdir / 'bench.db'}",
        "TOKENSMITH_SECRET_KEY": secrets.token_urlsafe(32),
        "TOKENSMITH_ISSUER": ctx.base_url,
    }
    _tokensmith_cli(["migrate"], env, ctx.workdir)
    _tokensmith_cli(["orgs", "create", "bench", "--json"], env, ctx.workdir)
    user = ["--user", "bench@example.test"]
    owner = ["users", "create", user[1], "--org", "bench", "--role", "owner", "--json"]
    _tokensmith_cli(owner, env, ctx.workdir)
    created = _tokensmith_cli(
        ["tokens", "create", *user, "--name", "bench", "--scopes", "tokens:read", "--json"], env, ctx.workdir
    )
    return Prepared(
        argv=[_tokensmith_bin(), "serve", "--host", HOST, "--port", str(ctx.port)],
        env=env,
        cwd=ctx.workdir,
        request=RequestSpec(
            method="GET",
            path="/api/tokens",
            headers={"Authorization": f"Bearer {created['token']}", "Accept": "application/json"},
        ),
        ready_path="/healthz",
        token=None,
    )


def _management_unavailable() -> str | None:
    if importlib.util.find_spec("tokensmith.http.management") is None:
        return "the management API (tokensmith.http.management) is not on this branch yet"
    return _tokensmith_unavailable()


# --- the HTTP-stack floor -----------------------------------------------------------------


def prepare_floor(ctx: Context) -> Prepared:
    argv = [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", str(BENCH_DIR)]
    return Prepared(
        argv=[*argv, "--host", HOST, "--port", str(ctx.port), *UVICORN_OPTIONS],
        env=dict(os.environ),
        cwd=ctx.workdir,
        request=basic_token_request("floor-client", secrets.token_urlsafe(32)),
        ready_path="/",
        token=None,
    )


# --- the peer: node oidc-provider ---------------------------------------------------------


def prepare_peer(ctx: Context) -> Prepared:
    client_id, client_secret = "bench-client", secrets.token_urlsafe(32)
    # ``--name=value``: a random secret may start with "-", which parseArgs would take for an option.
    argv = ["node", str(PEER_DIR / "server.mjs"), f"--host={HOST}", f"--port={ctx.port}"]
    return Prepared(
        argv=[*argv, f"--client-id={client_id}", f"--client-secret={client_secret}"],
        env={**os.environ, "NODE_ENV": "production"},
        cwd=PEER_DIR,
        request=basic_token_request(client_id, client_secret),
        ready_path="/.well-known/openid-configuration",
        token=TokenExpectation(alg="ES256", jwks_path="/jwks"),
    )


def all_targets() -> list[Target]:
    """Every row, in the order they are measured and printed."""
    return [
        Target("tokensmith", "Tokensmith POST /oauth2/token", prepare_tokensmith, _tokensmith_unavailable),
        Target(
            "tokensmith-mgmt",
            "Tokensmith GET /api/tokens (personal token)",
            prepare_tokensmith_management,
            _management_unavailable,
        ),
        Target("floor", "floor: uvicorn + Starlette fixed JSON", prepare_floor),
        Target("oidc-provider", "oidc-provider (node) POST /oauth2/token", prepare_peer),
    ]
