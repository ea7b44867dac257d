"""Human labels (credential and token names): trimmed, 1 to 200 characters."""

from __future__ import annotations

from tokensmith.core.errors import BadRequest

MAX_NAME_LENGTH = 200


def clean_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise BadRequest(f"name must be 1 to {MAX_NAME_LENGTH} characters")
    return name
