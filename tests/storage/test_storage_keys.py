"""Signing keys in storage: encryption at rest, and the rotation race (exactly one winner)."""

from __future__ import annotations

import base64
import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update

from tokensmith.core.actors import Actor
from tokensmith.core.secrets import derive_key
from tokensmith.services.container import Services
from tokensmith.services.key_encryption import KeyEncryptor
from tokensmith.services.keyring import KeyRing
from tokensmith.services.master_key import MasterKeyMismatch
from tokensmith.services.minting import Grant
from tokensmith.settings import Settings
from tokensmith.storage.repositories.audit import AuditRepository
from tokensmith.storage.repositories.signing_keys import SigningKeyRepository
from tokensmith.storage.tables import signing_keys


def test_private_keys_are_encrypted_at_rest(services: Services) -> None:
    with services.database.transaction() as c:
        rows = c.execute(select(signing_keys)).mappings().all()
    assert len(rows) == 1
    stored = rows[0]["private_key"]
    assert stored.startswith("v2:")  # the format bound to kid, algorithm and generation
    assert "PRIVATE KEY" not in stored  # not PEM
    raw = base64.b64decode(stored.removeprefix("v2:"), validate=True)
    with pytest.raises(ValueError):  # nor base64 of the DER key
        serialization.load_der_private_key(raw, password=None)
    with pytest.raises(ValueError):
        serialization.load_der_private_key(raw[12:], password=None)
    assert "d" not in rows[0]["public_jwk"]


def test_a_different_master_key_cannot_load_the_keys(
    settings_factory: Callable[..., Settings], services: Services, services_factory: Callable[..., Services]
) -> None:
    other = settings_factory(secret_key="another-master-key-" + "x" * 30)
    with pytest.raises(MasterKeyMismatch, match="TOKENSMITH_SECRET_KEY cannot decrypt the signing keys"):
        services_factory(other)
    # …but with the first key listed as an old key, it can.
    rotated = settings_factory(
        secret_key="another-master-key-" + "x" * 30, old_secret_keys=services.settings.secret_key
    )
    assert rotated and services_factory(rotated).keyring.signing_key().record.generation == 1


def test_two_processes_rotating_at_once_make_exactly_one_new_key(
    settings: Settings, services_factory: Callable[..., Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = services_factory(settings), services_factory(settings)
    # Both must read the current generation before either inserts: that is the race. (They wait
    # between their two transactions: SQLite's write lock is held for a whole transaction.)
    barrier = threading.Barrier(2, timeout=20)
    original = KeyRing._create

    def wait_then_create(self: KeyRing, **kwargs: Any) -> Any:
        barrier.wait()
        return original(self, **kwargs)

    monkeypatch.setattr(KeyRing, "_create", wait_then_create)
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def rotate(name: str, services: Services) -> None:
        try:
            results[name] = services.keyring.rotate()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=rotate, args=(n, s)) for n, s in (("a", first), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    monkeypatch.setattr(KeyRing, "_create", original)
    assert errors == []
    assert results["a"].kid == results["b"].kid  # the loser reports the winner's key
    assert results["a"].generation == 2
    with first.database.transaction() as c:
        keys = SigningKeyRepository(c).all()
    assert [k.generation for k in keys] == [1, 2]
    # Both processes now sign with, and publish, the same key.
    first.keyring.reload()
    second.keyring.reload()
    assert first.keyring.jwks() == second.keyring.jwks()
    assert len(first.keyring.jwks()["keys"]) == 2


def test_ensure_key_is_idempotent_across_instances(
    settings: Settings, services: Services, services_factory: Callable[..., Services]
) -> None:
    services_factory(settings)
    services_factory(settings)
    with services.database.transaction() as c:
        assert [k.generation for k in SigningKeyRepository(c).all()] == [1]


# -- retiring a master key: `tokensmith keys rewrap` ---------------------------------------------

NEW_KEY = "the-new-master-key-" + "n" * 30


def _legacy_blob(master_key: str, der: bytes, kid: str) -> str:
    """The first at-rest format: associated data was the key id alone."""
    aead = AESGCM(derive_key(master_key, KeyEncryptor.PURPOSE))
    nonce = os.urandom(12)
    return base64.b64encode(nonce + aead.encrypt(nonce, der, kid.encode())).decode()


def _make_first_key_legacy(services: Services) -> str:
    """Store generation 1 the way older releases did; returns its kid."""
    loaded = services.keyring.signing_key()
    der = loaded.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    blob = _legacy_blob(services.settings.secret_key, der, loaded.record.kid)
    with services.database.transaction() as c:
        c.execute(
            update(signing_keys).where(signing_keys.c.kid == loaded.record.kid).values(private_key=blob)
        )
    return loaded.record.kid


def _rewrap_events(services: Services) -> list[Any]:
    with services.database.transaction() as c:
        return AuditRepository(c).list(org_id=None, action="signing_keys.rewrapped")


def test_rewrap_moves_every_key_to_the_current_master_key_and_format(
    settings_factory: Callable[..., Settings],
    services: Services,
    services_factory: Callable[..., Services],
    make_credential: Callable[..., Any],
) -> None:
    legacy_kid = _make_first_key_legacy(services)
    services.keyring.rotate()
    issued = services.minter.mint(
        Grant.for_credential(make_credential().credential, frozenset({"api/access"}))
    )
    jwks_before = services.keyring.jwks()

    rotated = services_factory(
        settings_factory(secret_key=NEW_KEY, old_secret_keys=services.settings.secret_key)
    )
    assert [k.current for k in rotated.keyring.encryption()] == [False, False]
    assert [k.legacy_format for k in rotated.keyring.encryption()] == [True, False]
    result = rotated.keyring.rewrap(rotated.audit, Actor.system())
    assert (result.total, result.rewrapped, result.already_current) == (2, 2, 0)
    assert set(result.rewrapped_kids) == {legacy_kid, jwks_before["keys"][0]["kid"]}
    with rotated.database.transaction() as c:
        rows = c.execute(select(signing_keys)).mappings().all()
    assert {r["master_key_id"] for r in rows} == {rotated.keyring.master_key_ids[0]}
    assert all(r["private_key"].startswith("v2:") for r in rows)

    again = rotated.keyring.rewrap(rotated.audit, Actor.system())  # idempotent
    assert (again.total, again.rewrapped, again.already_current) == (2, 0, 2)
    events = _rewrap_events(rotated)
    assert len(events) == 1 and sorted(events[0].details["kids"]) == sorted(result.rewrapped_kids)

    # The old key can go: the same keys load, publish and verify without it.
    retired = services_factory(settings_factory(secret_key=NEW_KEY, old_secret_keys=""))
    assert retired.keyring.jwks() == jwks_before
    assert retired.minter.decode(issued.access_token) is not None


def test_rewrap_is_all_or_nothing(
    settings_factory: Callable[..., Settings], services: Services, services_factory: Callable[..., Services]
) -> None:
    services.keyring.rotate()
    with services.database.transaction() as c:
        before = {r["kid"]: r["private_key"] for r in c.execute(select(signing_keys)).mappings()}
        second = c.execute(select(signing_keys).where(signing_keys.c.generation == 2)).mappings().one()
        blob = second["private_key"]
        tampered = blob[:-6] + ("A" if blob[-6] != "A" else "B") + blob[-5:]
        c.execute(
            update(signing_keys).where(signing_keys.c.kid == second["kid"]).values(private_key=tampered)
        )
    rotated = services_factory(
        settings_factory(secret_key=NEW_KEY, old_secret_keys=services.settings.secret_key),
        run_migrations=False,
    )
    with pytest.raises(MasterKeyMismatch, match=f"signing key {second['kid']} does not decrypt"):
        rotated.keyring.rewrap(rotated.audit, Actor.system())
    with services.database.transaction() as c:
        after = {r["kid"]: r["private_key"] for r in c.execute(select(signing_keys)).mappings()}
    assert after == {**before, second["kid"]: tampered}  # generation 1 was not moved either
    assert _rewrap_events(services) == []


def test_two_rewraps_at_once_move_each_key_once(
    settings_factory: Callable[..., Settings],
    services: Services,
    services_factory: Callable[..., Services],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services.keyring.rotate()
    rotated_settings = settings_factory(secret_key=NEW_KEY, old_secret_keys=services.settings.secret_key)
    first, second = services_factory(rotated_settings), services_factory(rotated_settings)
    # Let both read the rows before either writes where the database allows it (SQLite reads
    # without a lock; PostgreSQL's FOR UPDATE makes the second wait, and the barrier gives up).
    barrier = threading.Barrier(2)
    original = KeyEncryptor.seal

    def seal_after_both_read(self: KeyEncryptor, der: bytes, **kwargs: Any) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return original(self, der, **kwargs)

    monkeypatch.setattr(KeyEncryptor, "seal", seal_after_both_read)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(svc: Services) -> None:
        try:
            results.append(svc.keyring.rewrap(svc.audit, Actor.system()))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.setattr(KeyEncryptor, "seal", original)
    assert errors == []
    assert sum(r.rewrapped for r in results) == 2
    moved = [kid for r in results for kid in r.rewrapped_kids]
    assert sorted(moved) == sorted(set(moved))  # no key moved twice
    retired = services_factory(settings_factory(secret_key=NEW_KEY, old_secret_keys=""))
    assert len(retired.keyring.jwks()["keys"]) == 2
