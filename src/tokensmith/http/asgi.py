"""ASGI entry point for process managers: ``uvicorn --factory tokensmith.http.asgi:app_from_environment``."""

from __future__ import annotations

from fastapi import FastAPI

from tokensmith.http.app import create_app
from tokensmith.settings import Settings


def app_from_environment() -> FastAPI:
    return create_app(Settings())
