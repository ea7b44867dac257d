"""Shared CLI plumbing: settings, services, output and error handling."""

from __future__ import annotations

import atexit
import functools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec, TypeVar

import click
import typer
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError

from tokensmith.core.errors import StorageUnavailable, TokensmithError
from tokensmith.services.container import Services, build_services
from tokensmith.services.master_key import MasterKeyError
from tokensmith.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
#: What ``--json`` prints: a record (a :mod:`tokensmith.wire` model), a mapping, or a list of them.
Document = BaseModel | Mapping[str, object] | Sequence[BaseModel | Mapping[str, object]]


def load_services(issuer: str | None = None) -> Services:
    """The services for one command, closed (usage flushed, connections released) when the command
    ends: on its click context's close, so commands run in one process one after another (tests,
    a shell embedding the CLI) do not each leave a connection pool open; at exit otherwise."""
    services = build_services(Settings(), issuer=issuer)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(services.close)
    else:
        atexit.register(services.close)
    return services


def emit(data: Document, as_json: bool, human: str) -> None:
    """With ``--json``: one JSON document on stdout and nothing else there; a record in its one
    description (:mod:`tokensmith.wire`), as the management API sends it."""
    if as_json:
        sys.stdout.write(json.dumps(_plain(data), default=str) + "\n")
    else:
        typer.echo(human)


def _plain(data: object) -> object:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    return data


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected errors into a one-line message and exit code 1 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except StorageUnavailable:
            fail("the database is unreachable; check TOKENSMITH_DATABASE_URL")
        except TokensmithError as exc:
            fail(exc.description or type(exc).__name__)
        except MasterKeyError as exc:  # missing, or cannot decrypt the signing keys
            fail(str(exc))
        except (OperationalError, InterfaceError) as exc:  # e.g. migrations at start-up
            fail(f"the database is unreachable ({type(exc.orig).__name__}); check TOKENSMITH_DATABASE_URL")
        raise AssertionError("unreachable")

    return wrapper
