"""``tokensmith serve`` and ``tokensmith migrate``."""

from __future__ import annotations

import logging
import os

import typer
import uvicorn

from tokensmith.cli.context import handles_errors
from tokensmith.services.keys import check_master_keys
from tokensmith.services.master_key import resolve_master_keys
from tokensmith.settings import Settings
from tokensmith.storage.database import Database, create_database_engine, migrate


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@handles_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes (stateless; share the database)."),
) -> None:
    """Apply migrations, then serve the API, OAuth endpoints, dashboard and MCP endpoint."""
    configure_logging()
    settings = Settings()
    if not settings.issuer:
        os.environ["TOKENSMITH_ISSUER"] = f"http://{host}:{port}"
    engine = create_database_engine(settings.database_url)
    # A wrong master key stops here with one line, before migrating and before any worker starts.
    check_master_keys(Database(engine), resolve_master_keys(settings))
    migrate(engine)
    engine.dispose()
    uvicorn.run(
        "tokensmith.http.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )


@handles_errors
def migrate_command() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    engine = create_database_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    typer.echo("database is up to date", err=True)
