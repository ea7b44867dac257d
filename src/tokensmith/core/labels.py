"""Human text Tokensmith stores: labels (credential, token and organisation names) and descriptions.

One rule for every door (REST API, MCP, CLI, dashboard) and every database, applied by the
services: no control characters. A NUL truncates the value in some C-based tools and PostgreSQL
refuses it outright, while SQLite stores it; CR/LF forge lines in logs and CSV exports; escape
sequences (ESC, C1 controls) repaint terminals that print a name. Labels are one line: every
control character (Unicode category ``Cc``) is refused. Descriptions may span lines: tab, LF and
CR (a browser's textarea sends CRLF) are allowed, nothing else of ``Cc``.
"""

from __future__ import annotations

import unicodedata

from tokensmith.core.errors import BadRequest

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
#: The only control characters a description may hold.
DESCRIPTION_CONTROLS = frozenset("\t\n\r")

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "clean_description",
    "clean_name",
    "has_control_characters",
]


def has_control_characters(text: str, *, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` holds a control character (category ``Cc``: C0, DEL, C1) not in ``allowed``."""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def clean_name(name: str, *, what: str = "name") -> str:
    """Trimmed, 1 to 200 characters, no control characters; else 400 ``validation_failed``."""
    if has_control_characters(name):
        raise BadRequest(f"{what} must not contain control characters", field="name")
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise BadRequest(f"{what} must be 1 to {MAX_NAME_LENGTH} characters", field="name")
    return name


def clean_description(description: str) -> str:
    """Trimmed, at most 2000 characters, no control characters but tab, LF and CR."""
    if has_control_characters(description, allowed=DESCRIPTION_CONTROLS):
        raise BadRequest(
            "description must not contain control characters (other than tab and newlines)",
            field="description",
        )
    description = description.strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise BadRequest(
            f"description must be at most {MAX_DESCRIPTION_LENGTH} characters", field="description"
        )
    return description
