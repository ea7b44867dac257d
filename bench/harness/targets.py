"""What ``make bench`` measures. A target is a name, a way to prepare and start one server
process, the request it is loaded with, a readiness URL and what its token must look like.

To add a row, write one ``prepare`` function returning a :class:`Prepared` and add a
:class:`Target` to :func:`all_targets`.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import postgres, scale
from harness.checks import TokenExpectation
from harness.loadgen import RequestSpec
from harness.tools import BENCH_DIR, PEER_DIR

if TYPE_CHECKING:
    from harness.dpop import ProofSource

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
    """Where and how one target runs: its port, a private temporary directory, and (for
    PostgreSQL rows) the run's database, its schema for this target and round, and the
    data-filled schemas already loaded in this run."""

    port: int
    workdir: Path
    postgres: postgres.BenchDatabase | None = None
    schema: str = "bench"
    shared: dict[str, Any] = field(default_factory=dict)
    #: Warm-up plus measured seconds of this run of the target.
    seconds: float = 0.0

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
    #: Members the sample's JSON must have (``...`` for any value).
    expect: dict[str, Any] = field(default_factory=dict)
    #: Pin the server to every bench core, not only the server core (several workers).
    spread: bool = False
    #: ``sqlite``, ``postgresql``, or ``""`` for targets without a database.
    database: str = ""
    #: Signs a fresh DPoP proof for every request (:mod:`harness.dpop`), or ``None``.
    proofs: ProofSource | None = None


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    prepare: Callable[[Context], Prepared]
    #: Why the target cannot run on this checkout, or ``None`` when it can.
    unavailable: Callable[[], str | None] = lambda: None
    #: Measured only with ``--scale`` (or when named in ``--targets``): it loads scale data.
    scale: bool = False
    #: Needs the run's PostgreSQL database.
    postgres: bool = False


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


def _management_unavailable() -> str | None:
    if importlib.util.find_spec("tokensmith.http.management") is None:
        return "the management API (tokensmith.http.management) is not on this branch yet"
    return _tokensmith_unavailable()


def _postgres_unavailable() -> str | None:
    return _tokensmith_unavailable() or postgres.unavailable()


def _postgres_management_unavailable() -> str | None:
    return _management_unavailable() or postgres.unavailable()


def _tokensmith_batch(commands: list[list[str]], env: dict[str, str], cwd: Path) -> list[str]:
    """Run ``tokensmith`` CLI commands in one interpreter (``cli_batch.py``); their stdouts."""
    script = Path(__file__).with_name("cli_batch.py")
    result = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps(commands),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"cli_batch.py failed ({result.returncode})")
    outputs: list[str] = json.loads(result.stdout)
    return outputs


#: The bench owner's personal token may read everything the management rows load.
MANAGEMENT_SCOPES = "tokens:read credentials:read audit:read"
OWNER = "bench@example.test"


@dataclass(frozen=True)
class Provisioned:
    """One database made ready through the CLI: its environment and the bench's secrets."""

    env: dict[str, str]
    client_id: str
    client_secret: str
    #: An organisation credential granted ``tokens:introspect`` by the operator (the CLI).
    introspector_id: str
    introspector_secret: str
    personal_token: str
    org_id: str
    owner_id: str
    #: What :func:`scale.load` reported, for data-filled databases.
    loaded: dict[str, Any] | None = None


def _provision(database_url: str, workdir: Path, require_dpop: bool = False) -> Provisioned:
    """``migrate``, an organisation, a credential (``--require-dpop`` when asked), an
    introspecting credential, an owner and their personal token, all through the ``tokensmith``
    CLI (as an operator would)."""
    env = {
        **os.environ,
        "TOKENSMITH_DATABASE_URL": database_url,
        "TOKENSMITH_SECRET_KEY": secrets.token_urlsafe(32),
        "TOKENSMITH_SIGNING_ALGORITHM": "ES256",
    }
    create = ["credentials", "create", "--org", "bench", "--json"]
    outputs = _tokensmith_batch(
        [
            ["migrate"],
            ["orgs", "create", "bench", "--json"],
            [*create, "--name", "bench", "--scopes", SCOPE, *(["--require-dpop"] if require_dpop else [])],
            [*create, "--name", "rs", "--scopes", "tokens:introspect"],
            ["users", "create", OWNER, "--org", "bench", "--role", "owner", "--json"],
            ["tokens", "create", "--user", OWNER, "--name", "bench", "--scopes", MANAGEMENT_SCOPES, "--json"],
        ],
        env,
        workdir,
    )
    org, credential, introspector, owner, token = (json.loads(out) for out in outputs[1:])
    return Provisioned(
        env=env,
        client_id=credential["client_id"],
        client_secret=credential["client_secret"],
        introspector_id=introspector["client_id"],
        introspector_secret=introspector["client_secret"],
        personal_token=token["token"],
        org_id=org["id"],
        owner_id=owner["id"],
    )


def _database(
    ctx: Context, backend: str, data: scale.Sizes | None, require_dpop: bool = False
) -> Provisioned:
    """A provisioned database for one row. SQLite and empty PostgreSQL ones are new for every
    target and round; data-filled ones are loaded once per run and shared by the rows using them."""
    if backend == "sqlite":
        return _provision(f"sqlite:///{ctx.workdir / 'bench.db'}", ctx.workdir, require_dpop)
    if ctx.postgres is None:
        raise RuntimeError("PostgreSQL rows need the run's bench database")
    if data is None:
        return _provision(ctx.postgres.url(ctx.schema), ctx.workdir, require_dpop)
    if require_dpop:
        raise RuntimeError("data-filled databases are shared; they hold no DPoP-only credential")
    schema = "data_" + data.label.replace(" ", "_")
    if schema not in ctx.shared:
        print(f"bench: loading {data.label} data into {ctx.postgres.name}.{schema}…", file=sys.stderr)
        made = _provision(ctx.postgres.url(schema), ctx.workdir)
        key = made.env["TOKENSMITH_SECRET_KEY"]
        bench = scale.Bench(made.org_id, made.owner_id, key, made.client_id, made.personal_token)
        loaded = scale.load(made.env["TOKENSMITH_DATABASE_URL"], data, bench)
        loaded["explain"] = scale.explain_lists(made.env["TOKENSMITH_DATABASE_URL"], bench)
        print(f"bench: loaded {loaded['rows']} in {loaded['load_s']} s", file=sys.stderr)
        ctx.shared[schema] = dataclasses.replace(made, loaded=loaded)
    shared: Provisioned = ctx.shared[schema]
    return shared


def _request(kind: str, made: Provisioned) -> RequestSpec:
    if kind == "token":
        return basic_token_request(made.client_id, made.client_secret)
    if kind == "dpop-token":
        spec = basic_token_request(made.client_id, made.client_secret)
        return dataclasses.replace(spec, pool_header="DPoP")
    if kind == "introspect":
        # RFC 7662 §2.1: the protected resource authenticates, the token goes in the form body.
        credentials = base64.b64encode(f"{made.introspector_id}:{made.introspector_secret}".encode()).decode()
        return RequestSpec(
            method="POST",
            path="/oauth2/introspect",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            body=f"token={made.personal_token}",
        )
    path = {
        "me": "/api/me",
        "tokens": "/api/tokens",
        "credentials": "/api/credentials",
        "audit": "/api/audit",
    }
    return RequestSpec(
        method="GET",
        path=path[kind],
        headers={"Authorization": f"Bearer {made.personal_token}", "Accept": "application/json"},
    )


def tokensmith_row(
    kind: str,
    backend: str = "sqlite",
    workers: int = 1,
    data: scale.Sizes | None = None,
    settings: dict[str, str] | None = None,
) -> Callable[[Context], Prepared]:
    """Prepare ``tokensmith serve`` on ``backend`` with ``workers`` processes, loaded with the
    ``kind`` request (``token``, ``dpop-token``, ``introspect``, ``me``, ``tokens``,
    ``credentials``, ``audit``); ``settings``: extra ``TOKENSMITH_*`` environment variables for
    the server. ``dpop-token``: the credential requires DPoP and every request carries a fresh
    proof (:mod:`harness.dpop`); the token must be ``token_type: DPoP`` bound to the proofs' key."""

    def prepare(ctx: Context) -> Prepared:
        dpop = kind == "dpop-token"
        made = _database(ctx, backend, data, require_dpop=dpop)
        argv = [_tokensmith_bin(), "serve", "--host", HOST, "--port", str(ctx.port)]
        env = {**made.env, "TOKENSMITH_ISSUER": ctx.base_url, **(settings or {})}
        expect: dict[str, Any] = {"active": True} if kind == "introspect" else {}
        if kind in ("tokens", "credentials", "audit"):
            expect = {"items": ...}
        proofs = None
        if dpop:
            from harness.dpop import ProofSource, max_age_for

            proofs = ProofSource("POST", ctx.base_url + "/oauth2/token")  # htu: the issuer's token URL
            env["TOKENSMITH_DPOP_PROOF_MAX_AGE_SECONDS"] = str(max_age_for(ctx.seconds))
            expect = {"token_type": "DPoP"}
        token = None
        if kind in ("token", "dpop-token"):
            jkt = proofs.key.thumbprint if proofs else None
            token = TokenExpectation(alg="ES256", jwks_path="/.well-known/jwks.json", jkt=jkt)
        return Prepared(
            argv=[*argv, "--workers", str(workers)] if workers > 1 else argv,
            env=env,
            cwd=ctx.workdir,
            request=_request(kind, made),
            ready_path="/.well-known/oauth-authorization-server",
            token=token,
            expect=expect,
            spread=workers > 1,
            database=backend,
            proofs=proofs,
        )

    return prepare


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
    sqlite_ok, mgmt_ok = _tokensmith_unavailable, _management_unavailable
    pg_ok, pg_mgmt_ok = _postgres_unavailable, _postgres_management_unavailable
    large, page = scale.LARGE, scale.PAGE
    rows = [
        Target("tokensmith", "Tokensmith POST /oauth2/token, SQLite", tokensmith_row("token"), sqlite_ok),
        Target(
            "tokensmith-metrics-off",
            "Tokensmith POST /oauth2/token, SQLite, metrics off",
            tokensmith_row("token", settings={"TOKENSMITH_METRICS": "false"}),
            sqlite_ok,
        ),
        Target(
            "tokensmith-dpop",
            "Tokensmith POST /oauth2/token, SQLite, DPoP-bound",
            tokensmith_row("dpop-token"),
            sqlite_ok,
        ),
        Target(
            "tokensmith-pg",
            "Tokensmith POST /oauth2/token, PostgreSQL",
            tokensmith_row("token", "postgresql"),
            pg_ok,
            postgres=True,
        ),
        Target(
            "tokensmith-pg-2w",
            "Tokensmith POST /oauth2/token, PostgreSQL, 2 workers",
            tokensmith_row("token", "postgresql", workers=2),
            pg_ok,
            postgres=True,
        ),
        Target(
            "tokensmith-introspect",
            "Tokensmith POST /oauth2/introspect (PAT), SQLite",
            tokensmith_row("introspect"),
            sqlite_ok,
        ),
        Target(
            "tokensmith-pg-introspect",
            "Tokensmith POST /oauth2/introspect (PAT), PostgreSQL",
            tokensmith_row("introspect", "postgresql"),
            pg_ok,
            postgres=True,
        ),
        Target("tokensmith-me", "Tokensmith GET /api/me (PAT), SQLite", tokensmith_row("me"), mgmt_ok),
        Target(
            "tokensmith-pg-me",
            "Tokensmith GET /api/me (PAT), PostgreSQL",
            tokensmith_row("me", "postgresql"),
            pg_mgmt_ok,
            postgres=True,
        ),
        Target(
            "tokensmith-mgmt", "Tokensmith GET /api/tokens (PAT), SQLite", tokensmith_row("tokens"), mgmt_ok
        ),
        Target(
            "tokensmith-pg-mgmt",
            "Tokensmith GET /api/tokens (PAT), PostgreSQL",
            tokensmith_row("tokens", "postgresql"),
            pg_mgmt_ok,
            postgres=True,
        ),
        Target("floor", "floor: uvicorn + Starlette fixed JSON", prepare_floor),
        Target("oidc-provider", "oidc-provider (node) POST /oauth2/token", prepare_peer),
    ]
    scaled = [
        ("scale-token", "POST /oauth2/token", "token", large, pg_ok),
        ("scale-me", "GET /api/me", "me", large, pg_mgmt_ok),
    ]
    for kind, path in (
        ("tokens", "/api/tokens"),
        ("credentials", "/api/credentials"),
        ("audit", "/api/audit"),
    ):
        scaled += [
            (f"page-{kind}", f"GET {path}", kind, page, pg_mgmt_ok),
            (f"scale-{kind}", f"GET {path}", kind, large, pg_mgmt_ok),
        ]
    for key, what, kind, sizes, ok in scaled:
        label = f"Tokensmith {what}, PostgreSQL, {'scale data' if sizes is large else 'one page of data'}"
        rows.append(Target(key, label, tokensmith_row(kind, "postgresql", data=sizes), ok, True, True))
    return rows
