"""Each command closes the services it opened when it returns or fails: commands run one after
another in one process (a test, a shell embedding the CLI) do not pile up connection pools."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET_KEY
from tokensmith.cli.main import app
from tokensmith.services.container import Services, build_services

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _invoke(database_url: str, *args: str) -> Any:
    result = CliRunner().invoke(
        app,
        list(args),
        env={"TOKENSMITH_DATABASE_URL": database_url, "TOKENSMITH_SECRET_KEY": TEST_SECRET_KEY},
    )
    return result


def test_every_command_closes_what_it_opened(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Services] = []
    closed: list[Services] = []

    def spy(*args: Any, **kwargs: Any) -> Services:
        services = build_services(*args, **kwargs)
        opened.append(services)
        original = services.close

        def close() -> None:
            closed.append(services)
            original()

        monkeypatch.setattr(services, "close", close)
        return services

    monkeypatch.setattr("tokensmith.cli.context.build_services", spy)
    assert _invoke(database_url, "orgs", "create", "ctx-org", "--json").exit_code == 0
    assert _invoke(database_url, "orgs", "list", "--json").exit_code == 0
    failed = _invoke(database_url, "orgs", "create", "ctx-org", "--json")  # a duplicate: exit 1
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    assert len(opened) == 3 and closed == opened


@POSTGRES
def test_no_connection_outlives_its_command(database_url: str) -> None:
    application = f"ts-cli-{uuid.uuid4().hex[:8]}"
    url = make_url(database_url).update_query_dict({"application_name": application})
    observer = sa.create_engine(make_url(database_url), poolclass=sa.pool.NullPool)
    count = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    try:
        for name in ("one", "two", "three"):
            result = _invoke(url.render_as_string(hide_password=False), "orgs", "create", name, "--json")
            assert result.exit_code == 0, result.output
            with observer.connect() as connection:
                assert connection.execute(count, {"name": application}).scalar() == 0
    finally:
        observer.dispose()
