"""Keyset pagination: every list walks its rows once, in order, and reads each page from an index.

Each management list is ``WHERE <owner> AND id > :cursor ORDER BY id LIMIT n`` (the audit log
``id < :cursor ORDER BY id DESC``). Walking the pages must return every row exactly once, and
the query the repository really sends must be answered by an index range scan in the list's
order, never by sorting the owner's rows, so the first page costs the same whatever the total.
The plan is read with ``EXPLAIN`` on PostgreSQL (sequential scans and sorts priced out, so only
an index that both filters and orders can avoid a Sort node) and ``EXPLAIN QUERY PLAN`` on SQLite
(no ``USE TEMP B-TREE FOR ORDER BY``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from tokensmith.core import ids
from tokensmith.core.records import Credential, OrgPolicy, PersonalTokenRecord, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.repositories.audit import AuditRepository
from tokensmith.storage.repositories.credentials import CredentialRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenRepository
from tokensmith.storage.tables import audit_events, personal_tokens

T0 = datetime(2026, 5, 17, 8, 30, 15, tzinfo=UTC)
PAGE = 4


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(create_database_engine(database_url))
    yield database
    database.dispose()


@pytest.fixture
def tenants(db: Database) -> dict[str, str]:
    """Two organisations and two members of the first: rows of each owner are interleaved."""
    made = {"org": ids.new_id(), "other_org": ids.new_id(), "alice": ids.new_id(), "bob": ids.new_id()}
    with db.transaction() as c:
        repo = OrganizationRepository(c)
        repo.insert(made["org"], "acme", T0, OrgPolicy())
        repo.insert(made["other_org"], "globex", T0, OrgPolicy())
        for name in ("alice", "bob"):
            repo.insert_user(made[name], f"{name}@example.test", None, T0)
            repo.add_member(made["org"], made[name], Role.MEMBER, T0)
            repo.add_member(made["other_org"], made[name], Role.MEMBER, T0)
    return made


def _credential(org_id: str, user_id: str | None) -> Credential:
    return Credential(
        id=ids.new_id(),
        client_id=ids.new_client_id(),
        org_id=org_id,
        user_id=user_id,
        name="ci",
        description="",
        secret_hash="kid12345:" + ids.new_id().replace("-", ""),
        secret_hint="tss_…abcd",
        previous_secret_hash=None,
        previous_secret_expires_at=None,
        scopes=frozenset({"api/access"}),
        token_format=TokenFormat.JWT,
        token_ttl=900,
        created_by=None,
        created_at=T0,
        updated_at=T0,
        last_used_at=None,
    )


def _personal_token(org_id: str, user_id: str) -> PersonalTokenRecord:
    return PersonalTokenRecord(
        id=ids.new_id(),
        org_id=org_id,
        user_id=user_id,
        name="laptop",
        description="",
        token_hash="kid12345:" + ids.new_id().replace("-", ""),
        token_hint="tsp_…abcd",
        scopes=frozenset({"tokens:read"}),
        created_at=T0,
        expires_at=None,
        last_used_at=None,
        last_used_ip=None,
        revoked_at=None,
        created_by=None,
        notified_7d_at=None,
        notified_1d_at=None,
    )


def _audit(org_id: str, n: int) -> dict[str, Any]:
    return {
        "occurred_at": T0 + timedelta(seconds=n),
        "org_id": org_id,
        "actor_kind": "system",
        "actor_id": None,
        "actor_label": None,
        "action": "credential.created",
        "target_kind": "credential",
        "target_id": str(n),
        "target_hint": None,
        "ip": None,
        "transport": "cli",
        "details": {},
    }


@pytest.fixture
def populated(db: Database, tenants: dict[str, str]) -> dict[str, Any]:
    """Rows of every owner, inserted interleaved; returns what each list must hold, in order."""
    org, other, alice, bob = tenants["org"], tenants["other_org"], tenants["alice"], tenants["bob"]
    expected: dict[str, Any] = {"org_credentials": [], "alice_credentials": [], "org_wide": []}
    expected |= {"alice_tokens": [], "org_audit": []}
    with db.transaction() as c:
        creds, tokens, audit = CredentialRepository(c), PersonalTokenRepository(c), AuditRepository(c)
        for n in range(11):
            for owner_org, user in ((org, alice), (org, bob), (org, None), (other, alice), (other, None)):
                cred = _credential(owner_org, user)
                creds.insert(cred)
                if owner_org == org:
                    expected["org_credentials"].append(cred.id)
                    if user == alice:
                        expected["alice_credentials"].append(cred.id)
                    if user is None:
                        expected["org_wide"].append(cred.id)
            for owner_org, user in ((org, alice), (org, bob), (other, alice)):
                token = _personal_token(owner_org, user)
                tokens.insert(token)
                if (owner_org, user) == (org, alice):
                    expected["alice_tokens"].append(token.id)
            revoked = _personal_token(org, alice)
            tokens.insert(revoked)
            assert tokens.revoke(revoked.id, T0)
            audit.append(_audit(org, 2 * n))
            audit.append(_audit(other, 2 * n + 1))
        expected["org_audit"] = [e.id for e in audit.list(org_id=org, limit=1000)]
    assert len(expected["org_audit"]) == 11
    expected["alice_credentials"].sort()
    expected["org_credentials"].sort()
    expected["org_wide"].sort()
    expected["alice_tokens"].sort()
    return expected


def _walk(fetch: Callable[[Any, int], Sequence[Any]]) -> list[Any]:
    """Follow the cursor (the last id of each page) until a short page; return every id."""
    seen: list[Any] = []
    cursor = None
    while True:
        page = [row.id for row in fetch(cursor, PAGE)]
        seen += page
        if len(page) < PAGE:
            return seen
        cursor = page[-1]


def test_every_list_walks_each_row_once_in_order(
    db: Database, tenants: dict[str, str], populated: dict[str, Any]
) -> None:
    org, alice = tenants["org"], tenants["alice"]
    with db.transaction() as c:
        creds, tokens, audit = CredentialRepository(c), PersonalTokenRepository(c), AuditRepository(c)
        walks = {
            "org_credentials": _walk(lambda cur, n: creds.list(org, after_id=cur, limit=n)),
            "alice_credentials": _walk(lambda cur, n: creds.list(org, user_id=alice, after_id=cur, limit=n)),
            "org_wide": _walk(lambda cur, n: creds.list(org, organization_only=True, after_id=cur, limit=n)),
            "alice_tokens": _walk(lambda cur, n: tokens.list_for_user(org, alice, after_id=cur, limit=n)),
            "org_audit": _walk(lambda cur, n: audit.list(org_id=org, before_id=cur, limit=n)),
        }
    assert walks == populated
    assert walks["org_audit"] == sorted(walks["org_audit"], reverse=True)


@contextmanager
def _captured(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and driver parameters) ``connection`` sends while the block runs."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
        return "\n".join(str(row) for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


#: Each list, the indexes that may answer it (filtering on the owner and giving the order), and a
#: call of the repository that issues its query.
LISTS: dict[str, tuple[tuple[str, ...], Callable[[Connection, dict[str, str]], object]]] = {
    "credentials of the organisation": (
        ("ix_credentials_org_page",),
        lambda c, t: CredentialRepository(c).list(t["org"], after_id=ids.new_id(), limit=PAGE),
    ),
    "a member's personal credentials": (
        ("ix_credentials_org_user_page",),
        lambda c, t: CredentialRepository(c).list(t["org"], user_id=t["alice"], limit=PAGE),
    ),
    "organisation-wide credentials": (
        ("ix_credentials_org_user_page", "ix_credentials_org_page"),
        lambda c, t: CredentialRepository(c).list(t["org"], organization_only=True, limit=PAGE),
    ),
    "a member's personal tokens": (
        ("ix_personal_tokens_user_page",),
        lambda c, t: PersonalTokenRepository(c).list_for_user(t["org"], t["alice"], limit=PAGE),
    ),
    "tokens expiring soon (housekeeping)": (
        ("ix_personal_tokens_expires_at",),
        lambda c, t: PersonalTokenRepository(c).expiring_unnotified(T0 + timedelta(days=7), "notified_7d_at"),
    ),
    "the organisation's audit log": (
        ("ix_audit_events_org_page",),
        lambda c, t: AuditRepository(c).list(org_id=t["org"], before_id=10**9, limit=PAGE),
    ),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_each_list_page_is_an_index_range_scan_in_order(
    db: Database, tenants: dict[str, str], populated: dict[str, Any], name: str
) -> None:
    indexes, run = LISTS[name]
    with db.transaction() as c:
        with _captured(c) as sent:
            run(c, tenants)
        assert len(sent) == 1
        plan = _plan(c, *sent[0])
    used = re.findall(r"\busing (?:covering )?(?:index )?(ix_\w+)", plan, re.IGNORECASE)
    assert used and set(used) <= set(indexes), plan
    assert "Sort" not in plan, plan  # PostgreSQL: the index gives the order
    assert "TEMP B-TREE" not in plan, plan  # SQLite: no sort of the owner's rows


def _skewed(db: Database, tenants: dict[str, str]) -> None:
    """The planner's trap: the organisation's audit events are the oldest, and another
    organisation's many newer ones come after them in id order; a member holds a third of the tokens."""
    org, other, alice, bob = tenants["org"], tenants["other_org"], tenants["alice"], tenants["bob"]
    with db.transaction() as c:
        c.execute(audit_events.insert(), [_audit(org, n) for n in range(6000)])
        c.execute(audit_events.insert(), [_audit(other, n) for n in range(6000, 18000)])
        tokens = [_personal_token(org, alice) for _ in range(6000)]
        tokens += [_personal_token(other, bob) for _ in range(12000)]
        c.execute(personal_tokens.insert(), [_token_row(t) for t in tokens])
    # Statistics and the visibility map as autovacuum leaves them (VACUUM cannot run in a transaction).
    with db.engine.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def _token_row(token: PersonalTokenRecord) -> dict[str, Any]:
    return {
        "id": token.id,
        "org_id": token.org_id,
        "user_id": token.user_id,
        "name": token.name,
        "description": "",
        "token_hash": token.token_hash,
        "token_hint": token.token_hint,
        "scopes": "tokens:read",
        "created_at": T0,
    }


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgresql_keeps_the_keyset_index_when_the_owner_rows_are_the_oldest(
    db: Database, tenants: dict[str, str]
) -> None:
    _skewed(db, tenants)
    org, alice = tenants["org"], tenants["alice"]
    cases = {
        "ix_audit_events_org_page": lambda c: AuditRepository(c).list(org_id=org, limit=51),
        "ix_personal_tokens_user_page": lambda c: PersonalTokenRepository(c).list_for_user(
            org, alice, limit=51
        ),
    }
    with db.transaction() as c:
        for index, run in cases.items():
            with _captured(c) as sent:
                run(c)
            rows = c.exec_driver_sql("EXPLAIN " + sent[0][0], sent[0][1]).scalars().all()
            plan = "\n".join(str(row) for row in rows)
            assert f"using {index} " in plan, plan
