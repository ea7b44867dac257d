"""Repositories round-trip their records on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from tokensmith.core import ids
from tokensmith.core.records import (
    AccessTokenRecord,
    Credential,
    OrgPolicy,
    SubjectKind,
    TokenFormat,
)
from tokensmith.core.roles import Role
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.storage.repositories.audit import AuditRepository
from tokensmith.storage.repositories.credentials import CredentialLookup, CredentialRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository

T0 = datetime(2026, 5, 17, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Any:
    database = Database(create_database_engine(database_url))
    yield database
    database.dispose()


@pytest.fixture
def org_id(db: Database) -> str:
    org_id = ids.new_id()
    with db.transaction() as c:
        OrganizationRepository(c).insert(org_id, "acme", T0, OrgPolicy())
    return org_id


def credential(org_id: str, user_id: str | None = None, **changes: Any) -> Credential:
    record = Credential(
        id=ids.new_id(),
        client_id=ids.new_client_id(),
        org_id=org_id,
        user_id=user_id,
        name="CI deploy",
        description="deploys",
        secret_hash="kid12345:" + "a" * 64,
        secret_hint="tss_…abcd",
        previous_secret_hash=None,
        previous_secret_expires_at=None,
        scopes=frozenset({"api/access", "project:read"}),
        token_format=TokenFormat.OPAQUE,
        token_ttl=900,
        created_by=None,
        created_at=T0,
        updated_at=T0,
        last_used_at=None,
    )
    return replace(record, **changes)


def test_organization_user_membership_round_trip(db: Database) -> None:
    policy = OrgPolicy(
        allow_personal_credentials=False,
        pat_max_lifetime_days=90,
        pat_inactivity_days=30,
        pat_expiry_required=True,
    )
    with db.transaction() as c:
        repo = OrganizationRepository(c)
        org = repo.insert("o1", "Acme", T0, policy)
        user = repo.insert_user("u1", "a@example.test", None, T0)
        repo.add_member("o1", "u1", Role.ADMIN, T0)
    with db.transaction() as c:
        repo = OrganizationRepository(c)
        assert repo.get("o1") == org
        assert repo.by_name("Acme") == org
        assert repo.get("o1").policy == policy  # type: ignore[union-attr]
        assert repo.get("o1").created_at == T0  # type: ignore[union-attr]
        assert repo.user_by_email("A@example.test") == user
        assert repo.membership("o1", "u1").role is Role.ADMIN  # type: ignore[union-attr]
        assert repo.list_for_user("u1") == [(org, Role.ADMIN)]
        assert repo.count_owners("o1") == 0
    with pytest.raises(IntegrityError), db.transaction() as c:
        OrganizationRepository(c).insert("o2", "Acme", T0, OrgPolicy())  # names are unique


def test_credential_round_trip_and_lookup_with_org(db: Database, org_id: str) -> None:
    record = credential(org_id)
    with db.transaction() as c:
        CredentialRepository(c).insert(record)
    with db.transaction() as c:
        repo = CredentialRepository(c)
        assert repo.get(record.id) == record
        assert repo.by_client_id(record.client_id) == record
    lookup = CredentialLookup(db)  # the token endpoint's compiled query on a DBAPI connection
    found = lookup(record.client_id)
    assert found is not None and found[0] == record and found[1].id == org_id and found[1].name == "acme"
    assert lookup(ids.new_client_id()) is None
    assert record.created_at.tzinfo is not None


def test_the_compiled_lookup_returns_what_core_returns(db: Database, org_id: str) -> None:
    """CredentialLookup applies result processors by hand: aware datetimes and the policy survive."""
    with db.transaction() as c:
        OrganizationRepository(c).set_policy(
            org_id, OrgPolicy(allow_personal_tokens=False, pat_inactivity_days=7)
        )
    record = replace(credential(org_id), last_used_at=None)
    until = T0 + timedelta(hours=2)
    with db.transaction() as c:
        repo = CredentialRepository(c)
        repo.insert(record)
        repo.replace_secret(
            record.id,
            secret_hash=record.secret_hash,
            secret_hint=record.secret_hint,
            previous_secret_hash="kid12345:" + "p" * 64,
            previous_secret_expires_at=until,
            now=T0,
        )
        repo.touch_many({record.id: T0 + timedelta(seconds=1)})
        core = repo.get(record.id)
        org = OrganizationRepository(c).get(org_id)
    found = CredentialLookup(db)(record.client_id)
    assert found is not None
    assert found[0] == core
    assert found[0].previous_secret_expires_at == until
    assert found[0].last_used_at is not None and found[0].last_used_at.tzinfo is not None
    assert found[1] == org
    assert CredentialLookup(db)("x' OR '1'='1") is None  # bound, not interpolated


def test_previous_secret_grace_round_trip(db: Database, org_id: str) -> None:
    record = credential(org_id)
    until = T0 + timedelta(hours=1)
    with db.transaction() as c:
        repo = CredentialRepository(c)
        repo.insert(record)
        repo.replace_secret(
            record.id,
            secret_hash="kid12345:" + "b" * 64,
            secret_hint="tss_…wxyz",
            previous_secret_hash=record.secret_hash,
            previous_secret_expires_at=until,
            now=T0 + timedelta(minutes=1),
        )
    with db.transaction() as c:
        stored = CredentialRepository(c).get(record.id)
    assert stored is not None
    assert stored.secret_hash == "kid12345:" + "b" * 64
    assert stored.previous_secret_hash == record.secret_hash
    assert stored.previous_secret_expires_at == until
    assert stored.previous_secret_expires_at.tzinfo is not None  # type: ignore[union-attr]
    assert stored.updated_at == T0 + timedelta(minutes=1)
    with db.transaction() as c:  # regenerate without grace clears the previous secret
        CredentialRepository(c).replace_secret(
            record.id,
            secret_hash="kid12345:" + "c" * 64,
            secret_hint="tss_…cccc",
            previous_secret_hash=None,
            previous_secret_expires_at=None,
            now=T0,
        )
        stored = CredentialRepository(c).get(record.id)
    assert (
        stored is not None
        and stored.previous_secret_hash is None
        and stored.previous_secret_expires_at is None
    )


def test_credential_list_filters_rename_touch_delete(db: Database, org_id: str) -> None:
    with db.transaction() as c:
        repo = OrganizationRepository(c)
        repo.insert_user("u1", "a@example.test", None, T0)
        repo.add_member(org_id, "u1", Role.MEMBER, T0)
    org_wide, personal = credential(org_id), credential(org_id, user_id="u1")
    with db.transaction() as c:
        repo = CredentialRepository(c)
        repo.insert(org_wide)
        repo.insert(personal)
        assert {x.id for x in repo.list(org_id)} == {org_wide.id, personal.id}
        assert [x.id for x in repo.list(org_id, organization_only=True)] == [org_wide.id]
        assert [x.id for x in repo.list(org_id, personal_only=True)] == [personal.id]
        assert [x.id for x in repo.list(org_id, user_id="u1")] == [personal.id]
        first = min(org_wide.id, personal.id)
        assert [x.id for x in repo.list(org_id, after_id=first)] == [max(org_wide.id, personal.id)]
        assert len(repo.list(org_id, limit=1)) == 1
        repo.rename(org_wide.id, "renamed", "new text", T0 + timedelta(seconds=5))
        repo.touch_many({personal.id: T0 + timedelta(seconds=9)})
    with db.transaction() as c:
        repo = CredentialRepository(c)
        renamed = repo.get(org_wide.id)
        assert renamed is not None and (renamed.name, renamed.description) == ("renamed", "new text")
        assert repo.get(personal.id).last_used_at == T0 + timedelta(seconds=9)  # type: ignore[union-attr]
        repo.delete(org_wide.id)
    with db.transaction() as c:
        assert CredentialRepository(c).get(org_wide.id) is None
    with pytest.raises(IntegrityError), db.transaction() as c:  # client IDs are unique
        CredentialRepository(c).insert(replace(credential(org_id), client_id=personal.client_id))


def access_token(org_id: str, credential_id: str | None, **changes: Any) -> AccessTokenRecord:
    record = AccessTokenRecord(
        token_hash="kid12345:" + ids.new_id(),
        jti=ids.new_id(),
        org_id=org_id,
        credential_id=credential_id,
        personal_token_id=None,
        client_id="c" * 26,
        subject="c" * 26,
        subject_kind=SubjectKind.CLIENT,
        scopes=frozenset({"api/access"}),
        issued_at=T0,
        expires_at=T0 + timedelta(hours=1),
    )
    return replace(record, **changes)


def test_access_tokens_round_trip_and_cascade_with_their_credential(db: Database, org_id: str) -> None:
    cred = credential(org_id)
    token = access_token(org_id, cred.id)
    with db.transaction() as c:
        CredentialRepository(c).insert(cred)
        AccessTokenRepository(c).insert(token)
    with db.transaction() as c:
        repo = AccessTokenRepository(c)
        assert repo.by_hashes(["nope", token.token_hash]) == token
        assert repo.by_hashes(["nope"]) is None
        CredentialRepository(c).delete(cred.id)  # ON DELETE CASCADE (SQLite needs foreign_keys=ON)
    with db.transaction() as c:
        assert AccessTokenRepository(c).by_hashes([token.token_hash]) is None


def test_revoked_tokens_are_idempotent_and_purged_after_expiry(db: Database, org_id: str) -> None:
    with db.transaction() as c:
        repo = AccessTokenRepository(c)
        repo.revoke_jti("jti-1", T0 + timedelta(hours=1), T0)
        repo.revoke_jti("jti-1", T0 + timedelta(hours=1), T0)  # twice: no error, one row
        repo.revoke_jti("jti-2", T0 + timedelta(hours=3), T0)
        repo.insert(access_token(org_id, None, expires_at=T0 + timedelta(minutes=5)))
        assert repo.is_revoked("jti-1") and repo.is_revoked("jti-2")
        assert not repo.is_revoked("jti-3")
    with db.transaction() as c:
        assert AccessTokenRepository(c).purge_expired(T0 + timedelta(hours=2)) == 2
    with db.transaction() as c:
        repo = AccessTokenRepository(c)
        assert not repo.is_revoked("jti-1")
        assert repo.is_revoked("jti-2")


def test_a_repeated_revocation_inside_a_larger_transaction_keeps_the_transaction(
    db: Database, org_id: str
) -> None:
    """revoke_jti swallows its duplicate through a SAVEPOINT: the outer work must survive."""
    cred = credential(org_id)
    with db.transaction() as c:
        AccessTokenRepository(c).revoke_jti("jti-1", T0 + timedelta(hours=1), T0)
    with db.transaction() as c:
        AccessTokenRepository(c).revoke_jti("jti-1", T0 + timedelta(hours=1), T0)
        CredentialRepository(c).insert(cred)
    with db.transaction() as c:
        assert CredentialRepository(c).get(cred.id) is not None


def audit(action: str, org_id: str | None = "o1", **changes: Any) -> dict[str, Any]:
    values = {
        "occurred_at": T0,
        "org_id": org_id,
        "actor_kind": "system",
        "actor_id": None,
        "actor_label": "system",
        "action": action,
        "target_kind": None,
        "target_id": None,
        "target_hint": None,
        "ip": None,
        "transport": "cli",
        "details": {"k": ["v", 1]},
    }
    values.update(changes)
    return values


def test_audit_filters_treat_percent_and_underscore_literally(db: Database) -> None:
    with db.transaction() as c:
        repo = AuditRepository(c)
        for action in [
            "credential.created",
            "credential_x.created",
            "cred%ential.deleted",
            "credXential.x",
            "a\\b.c",
            "axb.c",
        ]:
            repo.append(audit(action))
    with db.transaction() as c:
        repo = AuditRepository(c)

        def actions(prefix: str) -> set[str]:
            return {e.action for e in repo.list(org_id="o1", action_prefix=prefix)}

        assert actions("credential_") == {"credential_x.created"}
        assert actions("cred%") == {"cred%ential.deleted"}
        assert actions("credential.") == {"credential.created"}
        assert actions("cred") == {
            "credential.created",
            "credential_x.created",
            "cred%ential.deleted",
            "credXential.x",
        }
        assert actions("a\\") == {"a\\b.c"}
        assert actions("%") == set()
        assert actions("_") == set()


def test_audit_list_filters_order_and_details(db: Database) -> None:
    with db.transaction() as c:
        repo = AuditRepository(c)
        repo.append(audit("a.one", occurred_at=T0, actor_id="u1", target_id="t1"))
        repo.append(audit("a.two", occurred_at=T0 + timedelta(minutes=1)))
        repo.append(audit("a.three", org_id="o2", occurred_at=T0 + timedelta(minutes=2)))
    with db.transaction() as c:
        repo = AuditRepository(c)
        events = repo.list(org_id="o1")
        assert [e.action for e in events] == ["a.two", "a.one"]  # newest first, org-scoped
        assert events[0].details == {"k": ["v", 1]}
        assert events[1].occurred_at == T0
        assert [e.action for e in repo.list(org_id="o1", actor_id="u1")] == ["a.one"]
        assert [e.action for e in repo.list(org_id="o1", target_id="t1")] == ["a.one"]
        assert [e.action for e in repo.list(org_id="o1", action="a.two")] == ["a.two"]
        assert [e.action for e in repo.list(org_id="o1", since=T0 + timedelta(seconds=30))] == ["a.two"]
        assert [e.action for e in repo.list(org_id="o1", until=T0 + timedelta(seconds=30))] == ["a.one"]
        assert [e.action for e in repo.list(org_id="o1", before_id=events[0].id)] == ["a.one"]
        assert [e.action for e in repo.list(org_id=None, limit=1)] == ["a.three"]
