"""Migrations: apply from scratch, idempotently, and produce exactly the declared schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.migrate import alembic_config, migrate
from tokensmith.storage.tables import metadata


def test_migrations_apply_from_scratch_and_are_idempotent(empty_database_url: str) -> None:
    engine = create_database_engine(empty_database_url)
    try:
        assert inspect(engine).get_table_names() == []
        migrate(engine)
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        tables = set(inspect(engine).get_table_names())
        assert tables >= {t.name for t in metadata.sorted_tables} | {"alembic_version"}
        migrate(engine)  # a second run is a no-op
        assert set(inspect(engine).get_table_names()) == tables
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [head]
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_table_definitions(empty_database_url: str) -> None:
    engine = create_database_engine(empty_database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
    finally:
        engine.dispose()
