"""Signing keys in storage: encryption at rest, and the rotation race (exactly one winner)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from tokensmith.services.container import Services
from tokensmith.services.master_key import MasterKeyMismatch
from tokensmith.settings import Settings
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
    # Both must read the current generation before either inserts: that is the race.
    barrier = threading.Barrier(2, timeout=20)
    original = SigningKeyRepository.max_generation

    def max_generation_then_wait(self: SigningKeyRepository) -> int:
        value = original(self)
        barrier.wait()
        return value

    monkeypatch.setattr(SigningKeyRepository, "max_generation", max_generation_then_wait)
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
    monkeypatch.setattr(SigningKeyRepository, "max_generation", original)
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
