"""``SecretHasher``: HMAC-SHA256 tagged with the master key's id; old keys still verify."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from tokensmith.core import secrets as sf

K1 = "first-master-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
K2 = "second-master-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def test_hash_is_key_id_colon_hex_hmac() -> None:
    hasher = sf.SecretHasher([K1])
    secret = sf.generate("tss_")
    stored = hasher.hash(secret)
    key_id, _, digest = stored.partition(":")
    assert re.fullmatch(r"[a-z2-7]{8}", key_id)
    assert key_id == hasher.key_ids[0]
    key = sf.derive_key(K1, "tokensmith secret hash v1")
    assert digest == hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
    assert secret not in stored


def test_different_master_keys_have_different_ids_and_hashes() -> None:
    secret = sf.generate("tss_")
    a, b = sf.SecretHasher([K1]), sf.SecretHasher([K2])
    assert a.key_ids[0] != b.key_ids[0]
    assert a.hash(secret) != b.hash(secret)
    assert sf.SecretHasher([K1]).hash(secret) == a.hash(secret)  # deterministic


def test_verify_accepts_the_secret_and_rejects_others() -> None:
    hasher = sf.SecretHasher([K1])
    secret = sf.generate("tss_")
    stored = hasher.hash(secret)
    assert hasher.verify(secret, stored)
    assert not hasher.verify(sf.generate("tss_"), stored)
    assert not hasher.verify(secret + "x", stored)


def test_retired_master_key_still_verifies_and_new_hashes_use_the_current_key() -> None:
    secret = sf.generate("tss_")
    stored_under_k1 = sf.SecretHasher([K1]).hash(secret)
    rotated = sf.SecretHasher([K2, K1])
    assert rotated.verify(secret, stored_under_k1)
    assert rotated.hash(secret).split(":")[0] == sf.SecretHasher([K2]).key_ids[0]
    assert stored_under_k1 in rotated.candidates(secret)
    assert len(rotated.candidates(secret)) == 2
    # Once K1 is dropped entirely, its hashes no longer verify.
    assert not sf.SecretHasher([K2]).verify(secret, stored_under_k1)


def test_the_tag_selects_the_key() -> None:
    secret = sf.generate("tss_")
    both = sf.SecretHasher([K1, K2])
    digest_under_k1 = sf.SecretHasher([K1]).hash(secret).split(":", 1)[1]
    k2_id = sf.SecretHasher([K2]).key_ids[0]
    assert not both.verify(secret, f"{k2_id}:{digest_under_k1}")


def test_unknown_key_id_tag_does_not_verify() -> None:
    hasher = sf.SecretHasher([K1])
    secret = sf.generate("tss_")
    digest = hasher.hash(secret).split(":", 1)[1]
    # A hash tagged with a key this server does not know cannot be checked: refuse it
    # rather than silently trying the current key.
    assert not hasher.verify(secret, "zzzzzzzz:" + digest)
    assert not hasher.verify(secret, digest)  # no tag at all


def test_dummy_verify_is_false_even_for_the_dummy_input() -> None:
    hasher = sf.SecretHasher([K1])
    assert hasher.verify(sf.generate("tss_"), None) is False
    assert hasher.verify("", None) is False


def test_at_least_one_master_key_is_required() -> None:
    with pytest.raises(ValueError):
        sf.SecretHasher([])


def test_needs_rehash_only_for_hashes_not_under_the_current_key() -> None:
    secret = sf.generate("tss_")
    old_stored = sf.SecretHasher([K1]).hash(secret)
    rotated = sf.SecretHasher([K2, K1])
    assert rotated.key_ids == [sf.SecretHasher([K2]).key_ids[0], sf.SecretHasher([K1]).key_ids[0]]
    assert rotated.needs_rehash(old_stored)
    assert rotated.verify(secret, old_stored)
    new_stored = rotated.hash(secret)
    assert not rotated.needs_rehash(new_stored)
    assert sf.hash_key_id(new_stored) == rotated.key_ids[0]
    assert sf.hash_key_id(old_stored) == rotated.key_ids[1]
    assert sf.hash_key_id("no-tag-here") == ""
    # Once the old key is gone, the old form neither verifies nor counts as current.
    retired = sf.SecretHasher([K2])
    assert not retired.verify(secret, old_stored)
    assert retired.needs_rehash(old_stored)
    assert retired.verify(secret, new_stored)


def test_the_hasher_keeps_no_master_key_string() -> None:
    hasher = sf.SecretHasher([K1, K2])
    held = [v for v in vars(hasher).values() if isinstance(v, str)]
    for key in hasher._keys:  # noqa: SLF001 - the point of the test
        assert isinstance(key.key, bytes) and len(key.key) == 32
    assert K1 not in held and K2 not in held
    assert all(K1 not in repr(v) and K2 not in repr(v) for v in vars(hasher).values())
