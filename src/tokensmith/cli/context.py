"""Shared CLI plumbing: settings, services, output and error handling."""

from __future__ import annotations

import atexit
import functools
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, ParamSpec, TypeVar

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

#: ``--json``: print one JSON document (see :func:`emit`).
AsJson = Annotated[bool, typer.Option("--json")]
#: The organisation a command acts in, as an argument or as ``--org``.
OrgArgument = Annotated[str, typer.Argument(help="Organisation name or id.")]
OrgOption = Annotated[str, typer.Option("--org", help="Organisation name or id.")]

#: The services opened by the command that is running (see :func:`handles_errors`).
_opened: ContextVar[list[Services] | None] = ContextVar("tokensmith_cli_services", default=None)


def load_services(issuer: str | None = None) -> Services:
    """The services for one command, closed (usage flushed, connections released) when the command
    returns or fails, so commands run in one process one after another (tests, a shell embedding
    the CLI) do not each leave a connection pool open; at exit when called outside a command."""
    services = build_services(Settings(), issuer=issuer)
    opened = _opened.get()
    if opened is not None:
        opened.append(services)
    else:
        atexit.register(services.close)
    return services


@contextmanager
def _command_scope() -> Iterator[None]:
    """Close what :func:`load_services` opened during the command, newest first. Our own scope
    rather than the CLI framework's context: Typer runs commands on a click of its own, so
    ``click.get_current_context()`` is not the running command's context."""
    token = _opened.set([])
    try:
        yield
    finally:
        opened = _opened.get() or []
        _opened.reset(token)
        for services in reversed(opened):
            services.close()


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
            with _command_scope():
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
