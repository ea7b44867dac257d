"""Scale data for the ``--scale`` rows: bulk-loaded with ``COPY``, then the list queries EXPLAINed.

At scale: with 200,000 personal tokens and 50,000 credentials on PostgreSQL, the token
endpoint and ``GET /api/me`` keep their p50 within 1.2× of an empty database, and the first page of
each list costs the same whatever the total (keyset pagination over an index).

The rows are loaded straight into the tables with ``COPY … FROM STDIN`` (pre-hashed secrets under
the run's master key, never a plain secret that could be used), after the bench's own organisation,
credential, owner and personal token were made through the CLI; then ``VACUUM ANALYZE`` so the planner
sees the real sizes. They are spread over many organisations and users, and the bench's own
organisation and owner hold thousands of them, so their lists are long:

- :data:`LARGE`: 50 organisations, 4,000 members, 200,000 personal tokens (5,000 the bench owner's,
  one in ten revoked), 50,000 credentials (10,000 in the bench organisation, 1,000 of them the
  owner's) and 200,000 audit events (50,000 the bench organisation's);
- :data:`PAGE`: just over one page (60) of each list and nothing else, the "small total" the large
  lists are compared with (a first page of the same length, so the responses are the same size).

:func:`explain_lists` then runs ``EXPLAIN (ANALYZE, BUFFERS)`` of the exact queries the repositories
send for the first page of each list, to show an index range scan and no sort.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection

from tokensmith.core.ids import new_client_id
from tokensmith.core.secrets import SecretHasher
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.audit import AuditRepository
from tokensmith.storage.repositories.credentials import CredentialLookup, CredentialRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenLookup, PersonalTokenRepository


@dataclass(frozen=True)
class Sizes:
    """How many filler rows to load (beside the bench's own ones)."""

    label: str
    filler_orgs: int
    filler_users: int
    owner_tokens: int
    other_tokens: int
    org_wide_credentials: int
    owner_credentials: int
    member_credentials: int
    other_credentials: int
    org_audit: int
    other_audit: int

    @property
    def personal_tokens(self) -> int:
        return self.owner_tokens + self.other_tokens

    @property
    def credentials(self) -> int:
        return (
            self.org_wide_credentials
            + self.owner_credentials
            + self.member_credentials
            + self.other_credentials
        )


LARGE = Sizes("large", 49, 4000, 5000, 195_000, 5000, 1000, 4000, 40_000, 50_000, 150_000)
PAGE = Sizes("one page", 0, 0, 60, 0, 60, 60, 0, 0, 60, 0)


@dataclass(frozen=True)
class Bench:
    """The bench's own records, made through the CLI, that the filler rows join."""

    org_id: str
    owner_id: str
    master_key: str
    #: The bench credential's client ID and personal token, for the hot lookups' plans.
    client_id: str = ""
    personal_token: str = ""


T0 = datetime(2026, 1, 1, tzinfo=UTC)
_COLUMNS = {
    "organizations": (
        "id, name, created_at, allow_personal_credentials, allow_org_credentials, "
        "allow_personal_tokens, pat_expiry_required"
    ),
    "users": "id, email, created_at",
    "memberships": "org_id, user_id, role, created_at",
    "credentials": (
        "id, client_id, org_id, user_id, name, description, secret_hash, secret_hint, scopes, "
        "token_format, token_ttl, created_at, updated_at"
    ),
    "personal_tokens": (
        "id, org_id, user_id, name, description, token_hash, token_hint, scopes, created_at, revoked_at"
    ),
    "audit_events": (
        "occurred_at, org_id, actor_kind, actor_id, action, target_kind, target_id, target_hint, "
        "transport, details"
    ),
}


def _id() -> str:
    return str(uuid.uuid4())


def _when(n: int) -> datetime:
    return T0 + timedelta(seconds=n)


def _rows(sizes: Sizes, bench: Bench) -> dict[str, Iterator[tuple[Any, ...]]]:
    hasher = SecretHasher([bench.master_key])
    org_ids = [bench.org_id] + [_id() for _ in range(sizes.filler_orgs)]
    user_ids = [_id() for _ in range(sizes.filler_users)]
    # Filler member k belongs to organisation k mod len(org_ids); 0 is the bench organisation.
    members_of: dict[str, list[str]] = {org: [] for org in org_ids}
    for k, user in enumerate(user_ids):
        members_of[org_ids[k % len(org_ids)]].append(user)
    others = [(org, user) for org in org_ids for user in members_of[org]]

    def hashed() -> str:
        return hasher.hash(secrets.token_hex(16))

    def orgs() -> Iterator[tuple[Any, ...]]:
        for n, org in enumerate(org_ids[1:]):
            yield org, f"filler-{n}-{org[:8]}", T0, True, True, True, False

    def users() -> Iterator[tuple[Any, ...]]:
        for n, user in enumerate(user_ids):
            yield user, f"filler-{n}-{user[:8]}@example.test", T0

    def memberships() -> Iterator[tuple[Any, ...]]:
        for org, user in others:
            yield org, user, "member", T0

    def credential(org: str, user: str | None, n: int) -> tuple[Any, ...]:
        return (
            _id(), new_client_id(), org, user, f"filler {n}", "", hashed(), "tss_…fill",
            "api/access", "jwt", 3600, _when(n), _when(n),
        )  # fmt: skip

    def credentials() -> Iterator[tuple[Any, ...]]:
        n = 0
        for _ in range(sizes.org_wide_credentials):
            n += 1
            yield credential(bench.org_id, None, n)
        for _ in range(sizes.owner_credentials):
            n += 1
            yield credential(bench.org_id, bench.owner_id, n)
        bench_members = members_of[bench.org_id] or [bench.owner_id]
        for k in range(sizes.member_credentials):
            n += 1
            yield credential(bench.org_id, bench_members[k % len(bench_members)], n)
        for k in range(sizes.other_credentials):
            n += 1
            org = org_ids[1 + k % max(1, len(org_ids) - 1)]
            members = members_of[org]
            yield credential(org, members[k % len(members)] if k % 2 and members else None, n)

    def token(org: str, user: str, n: int) -> tuple[Any, ...]:
        revoked = _when(n) if n % 10 == 0 else None
        return _id(), org, user, f"filler {n}", "", hashed(), "tsp_…fill", "tokens:read", _when(n), revoked

    def tokens() -> Iterator[tuple[Any, ...]]:
        for n in range(sizes.owner_tokens):
            yield token(bench.org_id, bench.owner_id, n)
        for k in range(sizes.other_tokens):
            org, user = others[k % len(others)]
            yield token(org, user, k)

    def audit() -> Iterator[tuple[Any, ...]]:
        details = json.dumps({"filler": True})
        for n in range(sizes.org_audit + sizes.other_audit):
            org = bench.org_id if n < sizes.org_audit else org_ids[1 + n % max(1, len(org_ids) - 1)]
            yield (
                _when(n),
                org,
                "system",
                None,
                "credential.created",
                "credential",
                _id(),
                "x",
                "cli",
                details,
            )

    return {
        "organizations": orgs(),
        "users": users(),
        "memberships": memberships(),
        "credentials": credentials(),
        "personal_tokens": tokens(),
        "audit_events": audit(),
    }


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as plain libpq understands it."""
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


def _count(connection: psycopg.Connection[Any], table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    row = connection.execute(query).fetchone()
    return int(row[0]) if row else 0


def load(url: str, sizes: Sizes, bench: Bench) -> dict[str, Any]:
    """COPY the filler rows in, VACUUM ANALYZE; return the counts and the seconds it took."""
    started = time.monotonic()
    with psycopg.connect(libpq_url(url)) as connection:
        with connection.cursor() as cursor:
            for table, rows in _rows(sizes, bench).items():
                columns = sql.SQL(", ").join(sql.Identifier(c.strip()) for c in _COLUMNS[table].split(","))
                copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), columns)
                with cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
        connection.commit()
        connection.autocommit = True
        # Statistics and the visibility map as autovacuum leaves a settled table.
        connection.execute("VACUUM ANALYZE")
        counts = {
            table: _count(connection, table)
            for table in ("organizations", "users", "credentials", "personal_tokens", "audit_events")
        }
    return {"sizes": sizes.label, "rows": counts, "load_s": round(time.monotonic() - started, 1)}


def _captured(connection: Connection, *, run: Callable[[Connection], object]) -> tuple[str, Any]:
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        run(connection)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return sent[0]


def _lookup_queries(bench: Bench) -> dict[str, Callable[[Connection], tuple[str, Any]]]:
    hashes = SecretHasher([bench.master_key]).candidates(bench.personal_token)
    return {
        "token endpoint: credential by client_id": _lookup(
            lambda db: functools.partial(CredentialLookup(db), bench.client_id)
        ),
        "bearer: personal token by hash": _lookup(
            lambda db: functools.partial(PersonalTokenLookup(db, len(hashes)), hashes)
        ),
    }


def _list_queries(bench: Bench) -> dict[str, Callable[[Connection], object]]:
    org, owner = bench.org_id, bench.owner_id
    return {
        "GET /api/tokens": lambda c: PersonalTokenRepository(c).list_for_user(org, owner, limit=51),
        "GET /api/credentials (own personal)": lambda c: CredentialRepository(c).list(
            org, user_id=owner, limit=51
        ),
        "GET /api/credentials (organisation-wide)": lambda c: CredentialRepository(c).list(
            org, organization_only=True, limit=51
        ),
        "GET /api/audit": lambda c: AuditRepository(c).list(org_id=org, limit=51),
        "housekeeping: tokens expiring in 7 days": lambda c: PersonalTokenRepository(c).expiring_unnotified(
            datetime.now(UTC) + timedelta(days=7), "notified_7d_at", after=datetime.now(UTC)
        ),
    }


_SORTED = re.compile(r"Sort  \(cost=[^)]*\) \(actual time=[\d.]+\.\.[\d.]+ rows=(\d+)")


class _Recorder(Database):
    """A :class:`Database` that records the hot path's one compiled query instead of running it."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection.engine)
        self.sent: list[tuple[str, Any]] = []

    def fetch_one(self, sql: str, params: Any) -> tuple[Any, ...] | None:
        self.sent.append((sql, params))
        return None


def _lookup(make: Callable[[Database], Callable[[], object]]) -> Callable[[Connection], tuple[str, Any]]:
    """The SQL a lookup object sends (it reads through :meth:`Database.fetch_one`)."""

    def run(connection: Connection) -> tuple[str, Any]:
        recorder = _Recorder(connection)
        make(recorder)()
        return recorder.sent[0]

    return run


def explain_lists(url: str, bench: Bench) -> list[dict[str, Any]]:
    """EXPLAIN ANALYZE of each list's first-page query as the repository sends it, and of the
    two hot lookups (the token endpoint's credential, the bearer path's personal token)."""
    engine = create_engine(url)
    found: list[dict[str, Any]] = []
    try:
        with engine.connect() as connection:
            queries: dict[str, Callable[[Connection], tuple[str, Any]]] = {
                name: functools.partial(_captured, run=run) for name, run in _list_queries(bench).items()
            }
            queries |= _lookup_queries(bench)
            for name, capture in queries.items():
                try:
                    statement, parameters = capture(connection)
                except Exception as error:  # noqa: BLE001 - a plan is a diagnostic, never fatal
                    found.append({"list": name, "error": f"{type(error).__name__}: {error}"[:200]})
                    continue
                plan = "\n".join(
                    str(row[0])
                    for row in connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                )
                indexes = sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan)))
                timing = re.search(r"Execution Time: ([\d.]+) ms", plan)
                found.append(
                    {
                        "list": name,
                        "indexes": indexes,
                        # Sorting the page itself (≤ 51 rows) is free; sorting the owner's rows is not.
                        "sort": any(int(n) > 51 for n in _SORTED.findall(plan)),
                        "seq_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", plan))),
                        "execution_ms": float(timing.group(1)) if timing else None,
                        "plan": plan,
                    }
                )
            connection.rollback()
    finally:
        engine.dispose()
    return found


def explain_lines(label: str, plans: list[dict[str, Any]], tiny: bool = False) -> list[str]:
    lines = [f"EXPLAIN ANALYZE of each list's first page and the hot lookups ({label}):"]
    if tiny:
        lines[0] += " tables this small are read whole: a sequential scan is the cheaper plan"
    for plan in plans:
        if "error" in plan:
            lines.append(f"  {plan['list']:<42} not captured: {plan['error']}")
            continue
        how = ", ".join(plan["indexes"]) or "no index"
        flags = (["sort of more than the page"] if plan["sort"] else []) + [
            f"seq scan of {table}" for table in plan["seq_scans"]
        ]
        verdict = (
            "index scans, no sort" if plan["indexes"] and not flags else "; ".join(flags or ["no index"])
        )
        lines.append(f"  {plan['list']:<42} {how:<44} {plan['execution_ms']:>7.3f} ms  {verdict}")
    return lines
