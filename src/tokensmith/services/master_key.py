"""The server's master key: from settings, or (development only) a generated key file.

Retiring a master key (the procedure the README describes):

1. set the new key as ``TOKENSMITH_SECRET_KEY`` and list the old one in
   ``TOKENSMITH_OLD_SECRET_KEYS`` (every process);
2. ``tokensmith keys rewrap`` re-encrypts every signing key under the new key;
3. stored secret hashes move to the new key on their next successful use
   (:mod:`tokensmith.services.rehash`); ``tokensmith keys status`` counts what is left;
4. when it reports nothing live under the old key, empty ``TOKENSMITH_OLD_SECRET_KEYS``.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from tokensmith.settings import Settings

log = logging.getLogger(__name__)


class MasterKeyError(RuntimeError):
    """The master key configuration cannot run this server (one line for the operator)."""


class MasterKeyMissing(MasterKeyError):
    """No usable ``TOKENSMITH_SECRET_KEY``."""


class MasterKeyMismatch(MasterKeyError):
    """The configured keys cannot decrypt a stored signing key."""


def resolve_master_keys(settings: Settings) -> list[str]:
    """Current key first, then retired ones (still accepted for hashes and decryption).

    In production a missing ``TOKENSMITH_SECRET_KEY`` is fatal. In development a key is
    created once in ``secret_key_file`` (mode 0600) with a warning.
    """
    old = [k.strip() for k in settings.old_secret_keys.split(",") if k.strip()]
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise MasterKeyMissing("TOKENSMITH_SECRET_KEY must be at least 32 characters")
        return [settings.secret_key, *old]
    if settings.is_production:
        raise MasterKeyMissing(
            "TOKENSMITH_SECRET_KEY is required when TOKENSMITH_ENV=production "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    path = Path(settings.secret_key_file)
    if path.exists():
        key = path.read_text().strip()
    else:
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        log.warning(
            "development master key created in %s; set TOKENSMITH_SECRET_KEY in production", path.resolve()
        )
    return [key, *old]
