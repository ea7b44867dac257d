"""change notifications: NOTIFY tokensmith_changes on writes to what the lookups read

Revision ID: 0003
Revises: 0002

PostgreSQL only (SQLite's ``PRAGMA data_version`` needs nothing): one statement-level trigger
per table that the credential and personal-token lookups read, so that every process's lookup
cache learns of every commit (see tokensmith.storage.change_feed). A transaction that writes
many rows sends one notification (PostgreSQL folds identical notifications of a transaction).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"

#: The tables whose rows the lookup caches hold (joined into the cached records).
TABLES = ("organizations", "users", "memberships", "credentials", "personal_tokens")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION tokensmith_notify_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tokensmith_changes', '');
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION tokensmith_notify_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS tokensmith_notify_change()")
