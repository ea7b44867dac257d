"""ASGI entry point for process managers: ``uvicorn --factory tokensmith.http.asgi:app_from_environment``.

The application caps request bodies itself (:mod:`tokensmith.http.body_limit`), under any server.
The connection limits (header cap, header and body deadlines) live in uvicorn's protocol class that
``tokensmith serve`` installs: run uvicorn directly with
``--http tokensmith.http.connection_limits:LimitedHttpToolsProtocol`` (its defaults: 32 KiB of
headers, 10 s for a head, 30 s for a body) and set ``--limit-concurrency``, ``--timeout-keep-alive``
and ``--timeout-graceful-shutdown`` yourself — or prefer ``tokensmith serve``, which reads them all
from the ``TOKENSMITH_*`` settings.
"""

from __future__ import annotations

from fastapi import FastAPI

from tokensmith.http.app import create_app
from tokensmith.settings import Settings


def app_from_environment() -> FastAPI:
    return create_app(Settings())
