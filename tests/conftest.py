"""Fixtures shared by the whole suite.

Databases
    ``database_url`` runs a test on SQLite (a temporary file) *and* on PostgreSQL (a database
    created for this test run, ``tokensmith_test_<random>``, dropped at session end). PostgreSQL
    comes from ``TOKENSMITH_TEST_POSTGRES_URL`` (default
    ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); Redis from ``TOKENSMITH_TEST_REDIS_URL``
    (default ``redis://127.0.0.1:6379/13``). When either is unreachable the tests that need it are
    skipped on a laptop and *fail* when ``CI`` is set.

The server
    ``settings`` → ``services`` → ``app`` → ``client`` (Starlette TestClient over the real app), and
    ``live_server`` (uvicorn on a real socket), ``serve_processes`` (real ``tokensmith serve``
    subprocesses, tests/live_serve.py). ``make_org`` / ``make_credential`` create objects
    through the service layer.

The log guard
    Every test runs under :class:`LogLeakGuard` (autouse ``log_guard``): all log records are
    captured and, at teardown, none may contain a secret minted during the test (client secrets,
    personal and opaque tokens — every call of :func:`tokensmith.core.secrets.generate` —, JWT
    access tokens — every :meth:`TokenMinter.mint` —, and ``Authorization`` header values built by
    these fixtures).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.live_serve import ServeProcesses
from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import Credential, CredentialKind, Organization, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.services import minting
from tokensmith.services.container import Services, build_services
from tokensmith.settings import Settings
from tokensmith.storage.change_feed import ChangeFeed, change_feed
from tokensmith.storage.engine import create_database_engine, normalise_url
from tokensmith.storage.migrate import migrate

#: The master key every test server uses (≥ 32 characters).
TEST_SECRET_KEY = "test-master-key-0123456789abcdefghijklmnopqrstuvwxyz"
#: The issuer of the in-process app (``client``'s base URL).
TEST_ISSUER = "http://testserver"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Browser tests last: Playwright's sync API holds an event loop in the main thread while a
    browser is open, which other tests' ``asyncio.run`` must not meet."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs a Redis server")
    config.addinivalue_line(
        "markers",
        "log_guard_ignore(*loggers): the log guard skips records of these loggers (e.g. 'httpx', whose "
        "request lines carry a URL a test deliberately put a secret in)",
    )


def _unavailable(what: str, why: str) -> None:
    """Skip on a laptop, fail in CI (``CI`` set): CI must never silently skip a database."""
    message = f"{what} is not reachable ({why})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI is set, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message + "; start it or set the TOKENSMITH_TEST_* URL (CI fails instead of skipping)")


# ---------------------------------------------------------------------------------------------
# The log guard
# ---------------------------------------------------------------------------------------------


class LogLeakGuard(logging.Handler):
    """Captures every log record and checks that none carries a secret minted meanwhile."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self._lock_ = threading.Lock()
        self.records: list[logging.LogRecord] = []
        self.secrets: set[str] = set()
        self.ignored_loggers: tuple[str, ...] = ()
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_:
            self.records.append(record)

    def remember(self, *values: str) -> None:
        """Track values that must never appear in a log line."""
        with self._lock_:
            self.secrets.update(v for v in values if v and len(v) >= 8)

    def remember_basic(self, client_id: str, client_secret: str) -> str:
        """Track (and return) the ``Authorization: Basic`` value for this pair."""
        value = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.remember(client_secret, value, value.split(" ", 1)[1])
        return value

    def leaks(self) -> list[str]:
        """Formatted records (message and traceback) that contain a tracked secret."""
        with self._lock_:
            records, secrets = list(self.records), set(self.secrets)
        found = []
        for record in records:
            if record.name.startswith(self.ignored_loggers) and self.ignored_loggers:
                continue
            try:
                formatted = self.format(record)
            except Exception as exc:  # noqa: BLE001 - a broken record is a finding too
                formatted = f"<unformattable record {record.name}: {exc!r}>"
            if any(secret in formatted for secret in secrets):
                found.append(formatted)
        return found

    def check(self) -> None:
        """Raise AssertionError (without repeating the secret) if any record leaked one."""
        leaks = self.leaks()
        if leaks:
            names = sorted({line.split(" ", 1)[0] for line in leaks})
            raise AssertionError(
                f"{len(leaks)} log record(s) contain a secret minted in this test (loggers: {names})"
            )

    def forget_records(self) -> None:
        with self._lock_:
            self.records.clear()


_active_guard: LogLeakGuard | None = None


def _remember(*values: str) -> None:
    guard = _active_guard
    if guard is not None:
        guard.remember(*values)


def _install_secret_tracking() -> None:
    """Wrap the two places secrets and access tokens are born so every test knows them."""
    if getattr(secret_format.generate, "_tracked", False):
        return
    original_generate = secret_format.generate

    @functools.wraps(original_generate)
    def generate(prefix: str) -> str:
        secret = original_generate(prefix)
        _remember(secret)
        return secret

    generate._tracked = True  # type: ignore[attr-defined]
    secret_format.generate = generate

    original_mint = minting.TokenMinter.mint

    @functools.wraps(original_mint)
    def mint(self: minting.TokenMinter, grant: minting.Grant) -> minting.IssuedToken:
        issued = original_mint(self, grant)
        _remember(issued.access_token, "Bearer " + issued.access_token)
        return issued

    minting.TokenMinter.mint = mint  # type: ignore[method-assign]


_install_secret_tracking()


@pytest.fixture(autouse=True)
def log_guard(request: pytest.FixtureRequest) -> Iterator[LogLeakGuard]:
    """Autouse: capture every log record (root at DEBUG) and fail the test at teardown if any
    record contains a secret minted during the test. ``log_guard.remember(value)`` tracks more."""
    global _active_guard
    guard = LogLeakGuard()
    marker = request.node.get_closest_marker("log_guard_ignore")
    if marker is not None:
        guard.ignored_loggers = tuple(marker.args)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(guard)
    root.setLevel(logging.DEBUG)
    _active_guard = guard
    try:
        yield guard
    finally:
        _active_guard = None
        root.removeHandler(guard)
        root.setLevel(previous_level)
    guard.check()


@pytest.fixture(autouse=True)
def _clean_tokensmith_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``TOKENSMITH_*`` variable of the developer's shell leaks into a test's Settings."""
    for name in list(os.environ):
        if name.startswith("TOKENSMITH_") and not name.startswith("TOKENSMITH_TEST_"):
            monkeypatch.delenv(name)


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


@dataclass
class _Postgres:
    admin_url: str
    url: str
    name: str
    tables: list[str] = field(default_factory=list)


def _postgres_admin_url() -> str:
    return normalise_url(os.environ.get("TOKENSMITH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


def create_postgres_database(admin_url: str, prefix: str = "tokensmith_test_") -> str:
    """Create an empty database next to ``admin_url``'s and return its URL (autocommit DDL)."""
    name = prefix + uuid.uuid4().hex[:12]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A URL on which this run may ``CREATE DATABASE`` (skips/fails when unreachable)."""
    url = _postgres_admin_url()
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        _unavailable(
            f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)}", type(exc).__name__
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def _postgres(postgres_admin_url: str) -> Iterator[_Postgres]:
    """This run's own PostgreSQL database, migrated once; dropped (WITH FORCE) at session end."""
    url = create_postgres_database(postgres_admin_url)
    try:
        engine = create_database_engine(url)
        try:
            migrate(engine)
            with engine.connect() as connection:
                tables = (
                    connection.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                            "AND tablename <> 'alembic_version' ORDER BY tablename"
                        )
                    )
                    .scalars()
                    .all()
                )
        finally:
            engine.dispose()
        yield _Postgres(postgres_admin_url, url, make_url(url).database or "", list(tables))
    finally:
        drop_postgres_database(postgres_admin_url, url)


def _empty_tables(pg: _Postgres) -> None:
    """Delete every row of every table but ``alembic_version``.

    ``DELETE`` with foreign-key triggers off (``session_replication_role = replica``) is several
    times faster than ``TRUNCATE`` on tables this small; without superuser rights, TRUNCATE.
    """
    engine = create_engine(pg.url, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            tables = (
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            superuser = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            if superuser.scalar():
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                for table in tables:
                    connection.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 - names from pg_tables
            elif tables:
                connection.execute(
                    text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
                )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test: a temp SQLite file, or this run's PostgreSQL
    database with every table emptied. Restrict a test to one backend with
    ``@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)``."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "tokensmith.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    if request.param == "postgres":
        pg: _Postgres = request.getfixturevalue("_postgres")
        _empty_tables(pg)
        return pg.url
    raise ValueError(f"unknown database {request.param!r}")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (for migration tests): a new SQLite file, or a new
    PostgreSQL database created for this test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_postgres_database(admin_url, prefix="tokensmith_test_empty_")
    try:
        yield url
    finally:
        drop_postgres_database(admin_url, url)


@pytest.fixture
def database_kind(database_url: str) -> str:
    """``"sqlite"`` or ``"postgresql"``: the backend ``database_url`` points at."""
    return make_url(database_url).get_backend_name()


@pytest.fixture(scope="session")
def _redis_base_url() -> str:
    url = os.environ.get("TOKENSMITH_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable(f"Redis at {url}", type(exc).__name__)
    finally:
        client.close()
    return url


@pytest.fixture
def redis_url(_redis_base_url: str) -> str:
    """A Redis URL on a DB number reserved for tests (``TOKENSMITH_TEST_REDIS_URL``, default DB 13).

    Tests sharing it must use keys of their own (rate-limit keys are client IDs, which are
    random, and addresses — pick random ones)."""
    return _redis_base_url


# ---------------------------------------------------------------------------------------------
# Settings, services, app
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def settings_factory(database_url: str) -> Callable[..., Settings]:
    """``settings_factory(**overrides) -> Settings`` for this test's database, test master key,
    issuer ``http://testserver`` and ``key_publish_delay_seconds=0``."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "secret_key": TEST_SECRET_KEY,
            "database_url": database_url,
            "issuer": TEST_ISSUER,
            "key_publish_delay_seconds": 0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    """The test :class:`Settings` (see ``settings_factory``)."""
    return settings_factory()


@pytest.fixture
def clock() -> FrozenClock:
    """A :class:`FrozenClock` set to the real current time (whole seconds), so tokens it stamps are
    valid for outside verifiers too; ``clock.advance(seconds=…)`` moves it."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def services_factory(clock: FrozenClock) -> Iterator[Callable[..., Services]]:
    """``services_factory(settings, **kwargs) -> Services`` (``build_services``); all closed at teardown."""
    built: list[Services] = []

    def make(settings: Settings, **kwargs: Any) -> Services:
        kwargs.setdefault("clock", clock)
        services = build_services(settings, **kwargs)
        built.append(services)
        return services

    yield make
    for services in reversed(built):
        try:
            services.close()
        except Exception:  # noqa: BLE001 - a test may have broken the database on purpose
            services.database.dispose()


@pytest.fixture
def services(settings: Settings, clock: FrozenClock, services_factory: Callable[..., Services]) -> Services:
    """``build_services(settings, issuer=settings.issuer, clock=clock)``, closed at teardown."""
    return services_factory(settings, issuer=settings.issuer, clock=clock)


class TwoProcesses(NamedTuple):
    """Two service containers on one database stand for two server processes; ``feed`` is the
    first one's change feed (``feed.sync(timeout)`` waits until it has seen every commit)."""

    first: Services
    second: Services
    feed: ChangeFeed


@pytest.fixture
def two_processes(settings: Settings, services_factory: Callable[..., Services]) -> TwoProcesses:
    """See :class:`TwoProcesses`; both closed at teardown."""
    first = services_factory(settings, issuer=settings.issuer)
    second = services_factory(settings, issuer=settings.issuer)
    return TwoProcesses(first, second, change_feed(first.database))


@pytest.fixture
def app(settings: Settings, services: Services) -> Any:
    """``create_app(settings, services=services)``: the real ASGI app."""
    from tokensmith.http.app import create_app

    return create_app(settings, services=services)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    """A Starlette ``TestClient`` over ``app`` (lifespan run), base URL ``http://testserver``."""
    from starlette.testclient import TestClient

    with TestClient(app, base_url=TEST_ISSUER) as test_client:
        yield test_client


class LiveServer(NamedTuple):
    """``url`` (``http://127.0.0.1:PORT``, also the issuer), ``services`` and the ``app``."""

    url: str
    services: Services
    app: Any


@pytest.fixture
def live_server_factory(
    settings: Settings, services_factory: Callable[..., Services]
) -> Iterator[Callable[..., LiveServer]]:
    """``live_server_factory(**setting_overrides) -> LiveServer``: uvicorn serving
    ``create_app`` in a background thread on a free 127.0.0.1 port (real socket). The issuer
    is the server's URL. Servers stop at teardown."""
    import uvicorn

    from tokensmith.http.app import create_app

    running: list[tuple[uvicorn.Server, threading.Thread]] = []
    # Like `tokensmith serve` (access_log=False): uvicorn's access log prints query strings.
    access = logging.getLogger("uvicorn.access")
    saved = (access.propagate, access.disabled)
    access.propagate, access.disabled = False, True

    def start(**overrides: Any) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server_settings = settings.model_copy(update={"issuer": url, **overrides})
        svc = services_factory(server_settings, issuer=url)
        application = create_app(server_settings, services=svc)
        config = uvicorn.Config(
            application, log_config=None, access_log=False, lifespan="on", loop="asyncio", ws="none"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="live-server"
        )
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the live server did not start")
            time.sleep(0.005)
        running.append((server, thread))  # uvicorn's asyncio server owns (and closes) the socket
        return LiveServer(url, svc, application)

    yield start
    for server, thread in reversed(running):
        server.should_exit = True
        thread.join(timeout=15)
    access.propagate, access.disabled = saved


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    """uvicorn serving the real app on a free 127.0.0.1 port; ``(url, services, app)``."""
    return live_server_factory()


@pytest.fixture
def serve_processes(settings: Settings, tmp_path: Path) -> Iterator[ServeProcesses]:
    """``serve_processes.start(**env) -> Served``: ``tokensmith serve`` subprocesses on this test's
    database and master key; whatever still runs is stopped at teardown."""
    with ServeProcesses(settings.database_url, settings.secret_key, tmp_path) as processes:
        yield processes


# ---------------------------------------------------------------------------------------------
# Objects
# ---------------------------------------------------------------------------------------------


class MadeCredential(NamedTuple):
    client_id: str
    client_secret: str
    credential: Credential

    @property
    def basic(self) -> str:
        """The ``Authorization`` header value for client_secret_basic."""
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()


def _current_services(request: pytest.FixtureRequest) -> Services:
    """The live server's services when the test uses one, else the ``services`` fixture."""
    if "live_server" in request.fixturenames:
        server: LiveServer = request.getfixturevalue("live_server")
        return server.services
    return request.getfixturevalue("services")  # type: ignore[no-any-return]


@pytest.fixture
def make_org(request: pytest.FixtureRequest) -> Callable[..., Organization]:
    """``make_org(name=None) -> Organization`` (a unique name by default)."""

    def make(name: str | None = None) -> Organization:
        svc = _current_services(request)
        return svc.organizations.create(Actor.system(), name or f"org-{uuid.uuid4().hex[:8]}")

    return make


@pytest.fixture
def make_credential(
    request: pytest.FixtureRequest, make_org: Callable[..., Organization], log_guard: LogLeakGuard
) -> Callable[..., MadeCredential]:
    """``make_credential(kind="organization"|"personal", scopes=None, token_format="jwt",
    ttl=None, org=None, name=None) -> (client_id, client_secret, credential)``.

    Uses the live server's services when the test has ``live_server``. Without ``org`` all
    credentials of a test share one organisation (created on first use). ``scopes=None``
    gives the service default (``api/access``). A personal credential gets a fresh member.
    """
    default_org: list[Organization] = []

    def make(
        kind: str | CredentialKind = CredentialKind.ORGANIZATION,
        scopes: list[str] | None = None,
        token_format: str | TokenFormat = TokenFormat.JWT,
        ttl: int | None = None,
        org: Organization | None = None,
        name: str | None = None,
    ) -> MadeCredential:
        svc = _current_services(request)
        if org is None:
            if not default_org:
                default_org.append(make_org())
            org = default_org[0]
        kind = CredentialKind(kind)
        user_id = None
        if kind is CredentialKind.PERSONAL:
            user = svc.organizations.create_user(
                Actor.system(), f"member-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.MEMBER
            )
            user_id = user.id
        created = svc.credentials.create(
            Actor.system(),
            org_id=org.id,
            name=name or f"credential-{uuid.uuid4().hex[:6]}",
            kind=kind,
            user_id=user_id,
            scopes=scopes,
            token_format=TokenFormat(token_format),
            token_ttl=ttl,
        )
        log_guard.remember_basic(created.credential.client_id, created.client_secret)
        return MadeCredential(created.credential.client_id, created.client_secret, created.credential)

    return make
