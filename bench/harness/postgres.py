"""The run's own PostgreSQL database: created at the start, one schema per target and round, dropped
at the end of the run whatever happens (an error, Ctrl-C, SIGTERM).

The server is the machine's PostgreSQL (``TOKENSMITH_BENCH_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``); the bench only ever creates and drops its own
``tokensmith_bench_<random>`` database on it and never reconfigures the server. Every target gets
a fresh schema (``search_path`` set through libpq's ``options``), so a round starts from the same
state as the first one without the cost of a new database each time.
"""

from __future__ import annotations

import os
import re
import secrets
import urllib.parse

import psycopg
from psycopg import sql

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
_SCHEMA = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def admin_url() -> str:
    return os.environ.get("TOKENSMITH_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)


def unavailable() -> str | None:
    """Why PostgreSQL rows cannot run here, or ``None``."""
    try:
        with psycopg.connect(admin_url(), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"PostgreSQL at {_redacted(admin_url())} is unreachable: {first}"
    return None


def _redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urllib.parse.urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


class BenchDatabase:
    """``tokensmith_bench_<random>`` on the admin URL's server; use as a context manager."""

    def __init__(self) -> None:
        self.name = "tokensmith_bench_" + secrets.token_hex(6)
        parts = urllib.parse.urlsplit(admin_url())
        self._base = urllib.parse.urlunsplit(parts._replace(path="/" + self.name, query=""))
        self.created = False

    def __enter__(self) -> BenchDatabase:
        with psycopg.connect(admin_url(), autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True
        return self

    def __exit__(self, *_: object) -> None:
        self.drop()

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(admin_url(), autocommit=True, connect_timeout=5) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        self.created = False

    def url(self, schema: str) -> str:
        """A libpq URL whose ``search_path`` is ``schema`` (created when missing)."""
        if not _SCHEMA.match(schema):
            raise ValueError(f"bad schema name {schema!r}")
        with psycopg.connect(self._base, autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        options = urllib.parse.quote(f"-csearch_path={schema}")
        return f"{self._base}?options={options}"

    def server_facts(self) -> dict[str, int]:
        """``max_connections`` and how many connections other clients hold right now: each
        ``tokensmith serve`` process pools up to 30 (10 + 20 overflow), so a shared server near
        its limit turns the two-worker row's extra connections into 503s."""
        with psycopg.connect(admin_url(), autocommit=True, connect_timeout=5) as connection:
            limit = connection.execute("SHOW max_connections").fetchone()
            used = connection.execute("SELECT count(*) FROM pg_stat_activity").fetchone()
        return {
            "max_connections": int(limit[0]) if limit else 0,
            "connections_in_use": int(used[0]) if used else 0,
        }

    def activity(self) -> dict[str, float]:
        """This database's cumulative statistics (``pg_stat_database``, PostgreSQL 14+)."""
        with psycopg.connect(admin_url(), autocommit=True, connect_timeout=5) as connection:
            connection.execute("SELECT pg_stat_clear_snapshot()")
            row = connection.execute(
                "SELECT sessions, xact_commit + xact_rollback, active_time FROM pg_stat_database "
                "WHERE datname = %s",
                (self.name,),
            ).fetchone()
        if row is None:
            return {}
        return {"sessions": float(row[0]), "transactions": float(row[1]), "active_ms": float(row[2])}


def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """What the measured requests cost PostgreSQL: new sessions (connections) opened in all,
    transactions per request and backend time executing statements per request.

    The counters are flushed by each backend at most once a second and at exit, so they are
    approximate over a few seconds; the new-session count is what shows connection churn."""
    if not before or not after or requests <= 0:
        return {}
    return {
        "new_sessions": after["sessions"] - before["sessions"],
        "transactions_per_request": round((after["transactions"] - before["transactions"]) / requests, 2),
        "active_ms_per_request": round((after["active_ms"] - before["active_ms"]) / requests, 3),
    }
