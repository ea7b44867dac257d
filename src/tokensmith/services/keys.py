"""Signing keys: creation, encryption at rest, rotation, and the in-memory key ring.

Keys live in the database, private parts encrypted with AES-256-GCM under a subkey of the
master key. Each key has a ``generation`` (unique) and an ``activates_at``:

* the **active** key is the newest whose ``activates_at`` has passed — it signs;
* newer keys are **next**: published in the JWKS before they sign, so verifiers that cache
  the JWKS already know them (``TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS``);
* older keys are **retired**: still published until every token they signed has expired
  (their successor's activation plus the longest token lifetime), then **expired**.

States are derived from timestamps, so no job has to flip them. Processes load the ring
once and refresh it every ``key_refresh_seconds``, never per request.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwt.utils import base64url_encode
from sqlalchemy.exc import IntegrityError

from tokensmith.core.clock import Clock
from tokensmith.core.records import SigningKeyRecord
from tokensmith.core.secrets import derive_key, key_id_of
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.signing_keys import SigningKeyRepository

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


class KeyState(StrEnum):
    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"
    EXPIRED = "expired"


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    algorithm: str
    generation: int
    state: KeyState
    created_at: datetime
    activates_at: datetime


@dataclass(frozen=True)
class LoadedKey:
    """A decrypted signing key, ready to sign JWS compact serialisations (RFC 7515 §7.1).

    The protected header (RFC 9068 §2.1: ``alg``, ``typ: at+jwt``, ``kid``) is encoded once
    per key; each token then costs one JSON encoding and one signature, done by PyJWT's
    algorithm implementation.
    """

    record: SigningKeyRecord
    private_key: PrivateKey
    header_segment: bytes
    algorithm: Any

    @classmethod
    def load(cls, record: SigningKeyRecord, private_key: PrivateKey) -> LoadedKey:
        header = {"alg": record.algorithm, "kid": record.kid, "typ": "at+jwt"}
        segment = base64url_encode(json.dumps(header, separators=(",", ":")).encode())
        return cls(record, private_key, segment, jwt.get_algorithm_by_name(record.algorithm))

    def sign(self, claims: dict[str, Any]) -> str:
        payload = base64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self.header_segment + b"." + payload
        signature = base64url_encode(self.algorithm.sign(signing_input, self.private_key))
        return (signing_input + b"." + signature).decode("ascii")


class KeyEncryptor:
    """AES-256-GCM of private keys under master-key subkeys (any known key decrypts)."""

    def __init__(self, master_keys: list[str]) -> None:
        keys = [derive_key(k, "tokensmith signing-key encryption v1") for k in master_keys]
        self._keys = [(key_id_of(k), AESGCM(k)) for k in keys]
        self._by_id = dict(self._keys)

    @property
    def key_id(self) -> str:
        return self._keys[0][0]

    def encrypt(self, plaintext: bytes, associated: bytes) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._keys[0][1].encrypt(nonce, plaintext, associated)).decode()

    def decrypt(self, blob: str, key_id: str, associated: bytes) -> bytes:
        aead = self._by_id.get(key_id)
        if aead is None:
            raise RuntimeError(
                f"signing key encrypted under unknown master key {key_id}; set TOKENSMITH_OLD_SECRET_KEYS"
            )
        raw = base64.b64decode(blob)
        return aead.decrypt(raw[:12], raw[12:], associated)


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise ValueError(f"unsupported signing algorithm {algorithm!r}")


def public_jwk(private_key: PrivateKey, algorithm: str, kid: str) -> dict[str, Any]:
    algo = jwt.get_algorithm_by_name(algorithm)
    jwk: dict[str, Any] = json.loads(algo.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": algorithm, "use": "sig"})
    return jwk


def key_state(keys: list[SigningKeyRecord], key: SigningKeyRecord, now: datetime, max_ttl: int) -> KeyState:
    activated = [k for k in keys if k.activates_at <= now]
    if key.activates_at > now:
        # A first-ever key signs at once: there is nothing else to sign with.
        return KeyState.ACTIVE if not activated and key is keys[0] else KeyState.NEXT
    active = max(activated, key=lambda k: k.generation)
    if key.generation == active.generation:
        return KeyState.ACTIVE
    successor = min((k for k in activated if k.generation > key.generation), key=lambda k: k.generation)
    retired_until = successor.activates_at + timedelta(seconds=max_ttl + 300)
    return KeyState.RETIRED if now < retired_until else KeyState.EXPIRED


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
                der = self._encryptor.decrypt(record.private_key, record.master_key_id, record.kid.encode())
                private_key = serialization.load_der_private_key(der, password=None)
                loaded[record.kid] = LoadedKey.load(record, private_key)  # type: ignore[arg-type]
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
        return [
            KeyInfo(
                r.kid,
                r.algorithm,
                r.generation,
                key_state(self._records, r, now, self._max_ttl),
                r.created_at,
                r.activates_at,
            )
            for r in self._records
        ]

    # writing -----------------------------------------------------------------
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
        records = self._records
        return KeyInfo(
            record.kid,
            record.algorithm,
            record.generation,
            key_state(records, record, now, self._max_ttl),
            record.created_at,
            record.activates_at,
        )

    def _create(
        self, *, generation: int, activates_at: datetime, algorithm: str | None = None
    ) -> SigningKeyRecord:
        algorithm = algorithm or self._algorithm
        private_key = generate_private_key(algorithm)
        kid = base64.urlsafe_b64encode(os.urandom(12)).decode().rstrip("=")
        der = private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        record = SigningKeyRecord(
            kid=kid,
            generation=generation,
            algorithm=algorithm,
            public_jwk=public_jwk(private_key, algorithm, kid),
            private_key=self._encryptor.encrypt(der, kid.encode()),
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
