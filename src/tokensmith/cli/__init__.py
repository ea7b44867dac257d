"""The ``tokensmith`` command (needs the ``server`` extra)."""

from __future__ import annotations

import sys

SERVER_MODULES = frozenset(
    {
        "typer",
        "fastapi",
        "starlette",
        "sqlalchemy",
        "alembic",
        "uvicorn",
        "pydantic",
        "pydantic_settings",
        "argon2",
        "limits",
        "mcp",
        "jinja2",
    }
)


def main() -> None:
    """Entry point: a clear message instead of a traceback on a client-only install."""
    try:
        from tokensmith.cli.main import main as run
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in SERVER_MODULES:
            sys.stderr.write(
                f"error: the tokensmith command needs the server extra ({exc.name} is not installed): "
                "pip install 'tokensmith[server]'\n"
            )
            raise SystemExit(1) from None
        raise
    run()
