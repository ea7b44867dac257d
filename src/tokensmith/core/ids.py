"""Identifiers: public client IDs and object ids."""

from __future__ import annotations

import base64
import secrets
import uuid

CLIENT_ID_LENGTH = 26
_BASE32 = frozenset("abcdefghijklmnopqrstuvwxyz234567")


def new_client_id() -> str:
    """26 characters of lowercase base32 (130 bits), like seed 000's ``5tsnl…n97u``."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()[:CLIENT_ID_LENGTH]


def new_id() -> str:
    """An opaque object id (UUID4, text)."""
    return str(uuid.uuid4())


def is_client_id(value: str) -> bool:
    return len(value) == CLIENT_ID_LENGTH and _BASE32.issuperset(value)
