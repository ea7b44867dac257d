"""Human passwords (dashboard sign-in): argon2id via argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 recommendations)
_DUMMY = _hasher.hash("tokensmith-dummy-password")


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-ish time: unknown users still pay for one verification."""
    try:
        return bool(_hasher.verify(stored or _DUMMY, password)) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return bool(_hasher.check_needs_rehash(stored))
