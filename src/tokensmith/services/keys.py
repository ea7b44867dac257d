"""Signing keys: creation, encryption at rest, rotation, and the in-memory key ring.

Keys live in the database, private parts encrypted with AES-256-GCM (NIST SP 800-38D) under
a subkey of the master key (:class:`KeyEncryptor`). The associated data binds the ciphertext
to the row's key id, algorithm and generation, so a stored key cannot be moved to another row
or relabelled with another algorithm without failing to decrypt. Each key has a
``generation`` (unique) and an ``activates_at``:

* the **active** key is the newest whose ``activates_at`` has passed — it signs;
* newer keys are **next**: published in the JWKS before they sign, so verifiers that cache
  the JWKS already know them (``TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS``);
* older keys are **retired**: still published until every token they signed has expired
  (their successor's activation plus the longest token lifetime), then **expired**.

States are derived from timestamps, so no job has to flip them. Processes load the ring
once and refresh it every ``key_refresh_seconds``, never per request.

A token is verified only with the algorithm of the key its ``kid`` names
(:meth:`KeyRing.verification_key`), never with one read from its header (RFC 8725 §3.1).
``tokensmith keys rewrap`` (:meth:`KeyRing.rewrap`) re-encrypts every key under the current
master key and the current format, so an old master key can be retired.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwt.utils import base64url_encode
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.records import SigningKeyRecord
from tokensmith.core.secrets import derive_key, key_id_of
from tokensmith.services.audit import AuditLog
from tokensmith.services.master_key import MasterKeyMismatch
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.signing_keys import SigningKeyRepository
from tokensmith.storage.tables import signing_keys

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


#: The stored form of a private key: ``v2:`` + base64(nonce ‖ ciphertext ‖ tag). A blob without
#: the prefix is the first format, whose associated data was the key id alone.
ENCRYPTION_FORMAT = "v2"
_V2_PREFIX = ENCRYPTION_FORMAT + ":"


def associated_data(kid: str, algorithm: str, generation: int) -> bytes:
    """AES-GCM associated data of a signing key: what the ciphertext is bound to."""
    return b"tokensmith signing key v2\x00" + "\x00".join((kid, algorithm, str(generation))).encode()


class KeyEncryptor:
    """AES-256-GCM of private keys under master-key subkeys (any known key decrypts).

    Only the AES-GCM objects of the derived subkeys are kept, never the master key strings.
    """

    PURPOSE = "tokensmith signing-key encryption v1"

    def __init__(self, master_keys: list[str]) -> None:
        derived = [derive_key(k, self.PURPOSE) for k in master_keys]
        self._keys = [(key_id_of(k), AESGCM(k)) for k in derived]
        self._by_id = dict(self._keys)

    @property
    def key_id(self) -> str:
        return self._keys[0][0]

    @property
    def key_ids(self) -> list[str]:
        """Every configured key id, current first."""
        return [key_id for key_id, _ in self._keys]

    def seal(self, der: bytes, *, kid: str, algorithm: str, generation: int) -> str:
        """Encrypt ``der`` under the current key, bound to the row's kid, algorithm and generation."""
        nonce = os.urandom(12)
        aad = associated_data(kid, algorithm, generation)
        sealed = nonce + self._keys[0][1].encrypt(nonce, der, aad)
        return _V2_PREFIX + base64.b64encode(sealed).decode()

    def open(self, record: SigningKeyRecord) -> bytes:
        """The DER private key of ``record``; :class:`MasterKeyMismatch` if it cannot be had."""
        aead = self._by_id.get(record.master_key_id)
        if aead is None:
            raise MasterKeyMismatch(
                f"TOKENSMITH_SECRET_KEY cannot decrypt the signing keys (kid {record.kid} is encrypted "
                f"under master key id {record.master_key_id}; configured: {', '.join(self.key_ids)}); "
                "set the key they were made with, or list it in TOKENSMITH_OLD_SECRET_KEYS"
            )
        blob = record.private_key
        if blob.startswith(_V2_PREFIX):
            blob, aad = (
                blob[len(_V2_PREFIX) :],
                associated_data(record.kid, record.algorithm, record.generation),
            )
        else:
            aad = record.kid.encode()
        try:
            raw = base64.b64decode(blob, validate=True)
            return aead.decrypt(raw[:12], raw[12:], aad)
        except (InvalidTag, ValueError, binascii.Error):
            raise MasterKeyMismatch(
                f"signing key {record.kid} does not decrypt under master key id {record.master_key_id}: "
                "its stored row was altered (ciphertext, algorithm or generation)"
            ) from None

    def is_current(self, record: SigningKeyRecord) -> bool:
        """True when ``record`` is encrypted under the current key in the current format."""
        return record.master_key_id == self.key_id and record.private_key.startswith(_V2_PREFIX)


def _check_public_part(record: SigningKeyRecord, private_key: PrivateKey) -> None:
    """The published JWK must be the public half of the decrypted key."""
    expected = public_jwk(private_key, record.algorithm, record.kid)
    if {k: record.public_jwk.get(k) for k in expected} != expected:
        raise MasterKeyMismatch(
            f"signing key {record.kid}: its published public key is not the public half of its private key"
        )


def decrypt_private_key(encryptor: KeyEncryptor, record: SigningKeyRecord) -> PrivateKey:
    der = encryptor.open(record)
    private_key = serialization.load_der_private_key(der, password=None)
    if not isinstance(
        private_key, (ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey, rsa.RSAPrivateKey)
    ):
        raise MasterKeyMismatch(f"signing key {record.kid} is not an ES256, EdDSA or RS256 key")
    _check_public_part(record, private_key)
    return private_key


def check_master_keys(database: Database, master_keys: list[str]) -> int:
    """Decrypt every stored signing key once, so a wrong master key stops start-up with one
    line (:class:`MasterKeyMismatch`) instead of failing in every worker. Returns the count
    (0 on a database not migrated yet)."""
    encryptor = KeyEncryptor(master_keys)
    if not inspect(database.engine).has_table(signing_keys.name):
        return 0
    with database.transaction() as connection:
        records = SigningKeyRepository(connection).all()
    for record in records:
        decrypt_private_key(encryptor, record)
    return len(records)


@dataclass(frozen=True)
class KeyEncryptionInfo:
    """How one signing key is stored: under which master key id, in which format."""

    kid: str
    generation: int
    master_key_id: str
    current: bool
    legacy_format: bool


@dataclass(frozen=True)
class RewrapResult:
    total: int
    rewrapped: int
    already_current: int
    master_key_id: str
    rewrapped_kids: tuple[str, ...]


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
                not r.private_key.startswith(_V2_PREFIX),
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
                der = private_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                blob = self._encryptor.seal(
                    der, kid=record.kid, algorithm=record.algorithm, generation=record.generation
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
            private_key=self._encryptor.seal(der, kid=kid, algorithm=algorithm, generation=generation),
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
