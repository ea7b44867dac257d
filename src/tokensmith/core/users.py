"""Rules about users: email addresses and dashboard passwords (pure)."""

from __future__ import annotations

from tokensmith.core.errors import BadRequest
from tokensmith.core.labels import has_control_characters

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    """Lower-cased and trimmed; a clear error for anything that is not an address."""
    if has_control_characters(email):
        raise BadRequest("an email address must not contain control characters", field="email")
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320 or any(c.isspace() for c in email):
        raise BadRequest(f"not an email address: {email!r}", field="email")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
