"""The key ring: the signing keys as one process sees them, and their rotation.

Keys live in the database, private parts encrypted at rest (:mod:`~tokensmith.services.key_encryption`);
their states follow from timestamps (:mod:`~tokensmith.core.key_states`). Processes load the ring
once and refresh it every ``key_refresh_seconds``, never per request.

A token is verified only with the algorithm of the key its ``kid`` names
(:meth:`KeyRing.verification_key`), never with one read from its header (RFC 8725 §3.1).
``tokensmith keys rewrap`` (:meth:`KeyRing.rewrap`) re-encrypts every key under the current
master key and the current format, so an old master key can be retired.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.utils import base64url_encode
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.key_states import KeyInfo, KeyState, key_state
from tokensmith.core.records import SigningKeyRecord
from tokensmith.services.audit import AuditLog
from tokensmith.services.key_encryption import (
    KeyEncryptionInfo,
    KeyEncryptor,
    PrivateKey,
    decrypt_private_key,
    generate_private_key,
    is_legacy_format,
    private_der,
    public_jwk,
)
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.signing_keys import SigningKeyRepository
from tokensmith.storage.tables import signing_keys
from tokensmith.verify import es256


@dataclass(frozen=True)
class LoadedKey:
    """A decrypted signing key, ready to sign JWS compact serialisations (RFC 7515 §7.1).

    The protected header (RFC 9068 §2.1: ``alg``, ``typ: at+jwt``, ``kid``) is encoded once
    per key; each token then costs one JSON encoding and one signature: ES256 straight through
    ``cryptography`` (:mod:`tokensmith.verify.es256`), the other algorithms through PyJWT's.
    """

    record: SigningKeyRecord
    private_key: PrivateKey
    header_segment: bytes
    signs: Callable[[bytes], bytes]

    @classmethod
    def load(cls, record: SigningKeyRecord, private_key: PrivateKey) -> LoadedKey:
        header = {"alg": record.algorithm, "kid": record.kid, "typ": "at+jwt"}
        segment = base64url_encode(json.dumps(header, separators=(",", ":")).encode())
        signs: Callable[[bytes], bytes]
        if (
            record.algorithm == "ES256"
            and isinstance(private_key, ec.EllipticCurvePrivateKey)
            and isinstance(private_key.curve, ec.SECP256R1)
        ):
            signs = functools.partial(es256.sign, private_key)
        else:
            signs = functools.partial(jwt.get_algorithm_by_name(record.algorithm).sign, key=private_key)
        return cls(record, private_key, segment, signs)

    def sign(self, claims: dict[str, Any]) -> str:
        payload = base64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self.header_segment + b"." + payload
        signature = base64url_encode(self.signs(signing_input))
        return (signing_input + b"." + signature).decode("ascii")


@dataclass(frozen=True)
class RewrapResult:
    total: int
    rewrapped: int
    already_current: int
    master_key_id: str
    rewrapped_kids: tuple[str, ...]


def check_master_keys(engine: Engine, master_keys: list[str]) -> int:
    """Decrypt every stored signing key once, so a wrong master key stops start-up with one
    line (:class:`MasterKeyMismatch`) instead of failing in every worker. Returns the count
    (0 on a database not migrated yet)."""
    encryptor = KeyEncryptor(master_keys)
    with engine.connect() as connection:
        if not inspect(connection).has_table(signing_keys.name):
            return 0
        records = SigningKeyRepository(connection).all()
    for record in records:
        decrypt_private_key(encryptor, record)
    return len(records)


class KeyRing:
    """The process's view of the signing keys, refreshed at most every ``refresh_seconds``."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        master_keys: list[str],
        *,
        algorithm: str,
        publish_delay_seconds: int,
        refresh_seconds: int,
        max_token_ttl: int,
    ) -> None:
        self._db = database
        self._clock = clock
        self._encryptor = KeyEncryptor(master_keys)
        self._algorithm = algorithm
        self._publish_delay = publish_delay_seconds
        self._refresh_seconds = refresh_seconds
        self._max_ttl = max_token_ttl
        self._lock = threading.Lock()
        self._records: list[SigningKeyRecord] = []
        #: (the records it was derived from, the active key, when the next key activates)
        self._active: tuple[list[SigningKeyRecord], LoadedKey, datetime | None] | None = None
        self._loaded: dict[str, LoadedKey] = {}
        self._loaded_at = -1e18

    # loading -----------------------------------------------------------------
    def _load(self) -> None:
        with self._db.transaction() as connection:
            records = SigningKeyRepository(connection).all()
        loaded = dict(self._loaded)
        for record in records:
            if record.kid not in loaded:
                loaded[record.kid] = LoadedKey.load(record, decrypt_private_key(self._encryptor, record))
        self._records = records
        self._loaded = loaded
        self._loaded_at = time.monotonic()

    def _fresh(self) -> list[SigningKeyRecord]:
        if time.monotonic() - self._loaded_at >= self._refresh_seconds:
            with self._lock:
                if time.monotonic() - self._loaded_at >= self._refresh_seconds:
                    self._load()
        return self._records

    def reload(self) -> None:
        with self._lock:
            self._load()

    # reading -----------------------------------------------------------------
    def signing_key(self) -> LoadedKey:
        records = self._fresh()
        now = self._clock.now()
        active = self._active
        # The active key stays active until a newer key activates (or the table is re-read).
        if active is not None and active[0] is records and (active[2] is None or now < active[2]):
            return active[1]
        for record in reversed(records):
            if key_state(records, record, now, self._max_ttl) is KeyState.ACTIVE:
                upcoming = [r.activates_at for r in records if r.generation > record.generation]
                self._active = (records, self._loaded[record.kid], min(upcoming) if upcoming else None)
                return self._loaded[record.kid]
        raise RuntimeError("no signing key: run `tokensmith migrate` or `tokensmith keys rotate`")

    def public_key(self, kid: str) -> Any | None:
        self._fresh()
        loaded = self._loaded.get(kid)
        return loaded.private_key.public_key() if loaded else None

    def verification_key(self, kid: str) -> tuple[Any, str] | None:
        """The public key ``kid`` names and the one algorithm it verifies (RFC 8725 §3.1)."""
        self._fresh()
        loaded = self._loaded.get(kid)
        return (loaded.private_key.public_key(), loaded.record.algorithm) if loaded else None

    def jwks(self) -> dict[str, Any]:
        """RFC 7517 key set of the published keys (next, active, retired): public members only."""
        records = self._fresh()
        now = self._clock.now()
        keys = [
            r.public_jwk
            for r in reversed(records)
            if key_state(records, r, now, self._max_ttl) is not KeyState.EXPIRED
        ]
        return {"keys": keys}

    def describe(self) -> list[KeyInfo]:
        self.reload()
        now = self._clock.now()
        return [KeyInfo.of(r, key_state(self._records, r, now, self._max_ttl)) for r in self._records]

    @property
    def master_key_ids(self) -> list[str]:
        """The ids of the configured master keys' encryption subkeys, current first."""
        return self._encryptor.key_ids

    def encryption(self) -> list[KeyEncryptionInfo]:
        """How each stored key is encrypted (for ``tokensmith keys status``)."""
        with self._db.transaction() as connection:
            records = SigningKeyRepository(connection).all()
        return [
            KeyEncryptionInfo(
                r.kid,
                r.generation,
                r.master_key_id,
                self._encryptor.is_current(r),
                is_legacy_format(r),
            )
            for r in records
        ]

    # writing -----------------------------------------------------------------
    def rewrap(self, audit: AuditLog, actor: Actor) -> RewrapResult:
        """Re-encrypt every signing key not yet under the current master key and format.

        One transaction (rows locked on PostgreSQL): either every key moves or none does, and
        a key that cannot be decrypted stops it (:class:`MasterKeyMismatch`). Each update is
        conditional on the blob read, so two runs at once move each key once; a second run
        finds nothing to do. Audited when it changed anything.
        """
        rewrapped: list[str] = []
        with self._db.transaction() as connection:
            repo = SigningKeyRepository(connection)
            records = repo.all(for_update=True)
            for record in records:
                if self._encryptor.is_current(record):
                    continue
                private_key = decrypt_private_key(self._encryptor, record)
                blob = self._encryptor.seal(
                    private_der(private_key),
                    kid=record.kid,
                    algorithm=record.algorithm,
                    generation=record.generation,
                )
                if repo.replace_encryption(record.kid, record.private_key, blob, self._encryptor.key_id):
                    rewrapped.append(record.kid)
            if rewrapped:
                audit.record(
                    connection,
                    actor,
                    "signing_keys.rewrapped",
                    org_id=None,
                    target_kind="signing_key",
                    details={"kids": rewrapped, "master_key_id": self._encryptor.key_id},
                )
        self.reload()
        return RewrapResult(
            total=len(records),
            rewrapped=len(rewrapped),
            already_current=len(records) - len(rewrapped),
            master_key_id=self._encryptor.key_id,
            rewrapped_kids=tuple(rewrapped),
        )

    def ensure_key(self) -> None:
        """Create the first key if there is none (idempotent across processes)."""
        with self._db.transaction() as connection:
            exists = SigningKeyRepository(connection).max_generation() > 0
        if not exists:
            self._create(generation=1, activates_at=self._clock.now())
        self.reload()

    def rotate(self, algorithm: str | None = None) -> KeyInfo:
        """Add the next key, published now and signing after the publish delay.

        Two processes rotating at once race for the same generation; the unique
        constraint lets exactly one win and the other returns the winner's key.
        """
        with self._db.transaction() as connection:
            generation = SigningKeyRepository(connection).max_generation() + 1
        now = self._clock.now()
        record = self._create(
            generation=generation,
            activates_at=now + timedelta(seconds=self._publish_delay),
            algorithm=algorithm,
        )
        self.reload()
        return KeyInfo.of(record, key_state(self._records, record, now, self._max_ttl))

    def _create(
        self, *, generation: int, activates_at: datetime, algorithm: str | None = None
    ) -> SigningKeyRecord:
        algorithm = algorithm or self._algorithm
        private_key = generate_private_key(algorithm)
        kid = base64.urlsafe_b64encode(os.urandom(12)).decode().rstrip("=")
        record = SigningKeyRecord(
            kid=kid,
            generation=generation,
            algorithm=algorithm,
            public_jwk=public_jwk(private_key, algorithm, kid),
            private_key=self._encryptor.seal(
                private_der(private_key), kid=kid, algorithm=algorithm, generation=generation
            ),
            master_key_id=self._encryptor.key_id,
            created_at=self._clock.now(),
            activates_at=activates_at,
        )
        try:
            with self._db.transaction() as connection:
                SigningKeyRepository(connection).insert(record)
        except IntegrityError:
            with self._db.transaction() as connection:
                winner = SigningKeyRepository(connection).by_generation(generation)
            assert winner is not None
            return winner
        return record
