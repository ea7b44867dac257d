"""The checksummed format of every secret Tokensmith mints: ``<prefix><body><checksum>``.

* ``body`` — 30 characters of base62;
* ``checksum`` — CRC32 of ``prefix + body`` in base62, zero-padded to 6 characters, so a scanner, a
  resource server or the server itself can recognise a real token offline and reject garbage before
  any database work or network round trip.

Standard library only: the server (:mod:`tokensmith.core.secrets`, which also generates and hashes
secrets) and the verifier (:mod:`tokensmith.verify`, installed without the server) share this one
definition.
"""

from __future__ import annotations

import hmac
import zlib

__all__ = ["BASE62", "BODY_LENGTH", "CHECKSUM_LENGTH", "checksum", "is_well_formed"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_SET = frozenset(BASE62)
BODY_LENGTH = 30
CHECKSUM_LENGTH = 6


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


def is_well_formed(secret: str, prefix: str) -> bool:
    """True when ``secret`` has ``prefix``, the right length, alphabet and checksum.

    Pure and cheap: callers run it before any database work or network request.
    """
    if len(secret) != len(prefix) + BODY_LENGTH + CHECKSUM_LENGTH or not secret.startswith(prefix):
        return False
    rest = secret[len(prefix) :]
    if not _BASE62_SET.issuperset(rest):
        return False
    body, check = rest[:BODY_LENGTH], rest[BODY_LENGTH:]
    return hmac.compare_digest(checksum(prefix + body), check)
