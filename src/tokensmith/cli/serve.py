"""``tokensmith serve`` and ``tokensmith migrate``."""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from tokensmith.cli.context import handles_errors
from tokensmith.http.connection_limits import ConnectionLimits, ServerConfig
from tokensmith.metrics import multiprocess_directory
from tokensmith.services.keyring import check_master_keys
from tokensmith.services.master_key import resolve_master_keys
from tokensmith.settings import Settings
from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.migrate import migrate


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
    check_master_keys(engine, resolve_master_keys(settings))
    migrate(engine)
    engine.dispose()
    config = server_config(settings, host=host, port=port, workers=workers)
    if workers > 1 and settings.metrics:
        # Prometheus multi-process mode: the workers share a per-run directory (tokensmith.metrics).
        with multiprocess_directory():
            run_server(config)
    else:
        run_server(config)


def server_config(settings: Settings, *, host: str, port: int, workers: int) -> ServerConfig:
    """uvicorn's configuration with the connection limits of :class:`Settings` (``# Connection limits``)."""
    return ServerConfig(
        "tokensmith.http.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        ws="none",  # no WebSocket routes: an upgrade request is an ordinary request
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        # uvicorn answers 503 once connections (or tasks) reach the limit, this one included.
        limit_concurrency=settings.max_connections + 1,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        connection_limits=ConnectionLimits(
            max_header_bytes=settings.max_header_bytes,
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
        ),
    )


def run_server(config: ServerConfig) -> None:
    """What :func:`uvicorn.run` does, with our configuration, and a clean exit on SIGTERM.

    On SIGTERM uvicorn stops accepting, closes idle connections, lets requests in flight finish
    (at most ``timeout_graceful_shutdown`` seconds, then cancels them), runs the lifespan shutdown
    (which flushes last-used times) and re-raises the signal at the handler it found; that handler
    is a no-op here, so the process exits 0 rather than dying of SIGTERM. With ``--workers N``
    the parent forwards SIGTERM to every worker, waits for them, and exits 0.
    """
    server = uvicorn.Server(config)
    signal.signal(signal.SIGTERM, _stopped)
    try:
        if config.workers > 1:
            _Workers(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE; it has logged why


class _Workers(Multiprocess):
    """uvicorn's supervisor, which also stops accepting on SIGTERM: it closes its own copy of the
    listening socket (the workers close theirs as they shut down), so the kernel stops queueing
    connections nobody will serve."""

    def handle_term(self) -> None:
        super().handle_term()
        for sock in self.sockets:
            sock.close()

    def handle_int(self) -> None:
        super().handle_int()
        for sock in self.sockets:
            sock.close()


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after uvicorn's graceful shutdown (or before it started): nothing left to do."""


@handles_errors
def migrate_command() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    engine = create_database_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    typer.echo("database is up to date", err=True)
