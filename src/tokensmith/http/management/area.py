"""What every area of the management API declares first: its router, and the id its paths take."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from tokensmith.http.management.strict_json import StrictJSONRoute

#: The id of an object (organisation, credential, token, resource, authorized app) in a path.
ObjectRef = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


def area_router(tag: str, prefix: str = "") -> APIRouter:
    """The router of one area, listed under ``tag``; its bodies are strict JSON (:mod:`strict_json`)."""
    return APIRouter(prefix=prefix, tags=[tag], route_class=StrictJSONRoute)
