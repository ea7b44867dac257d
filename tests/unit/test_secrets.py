"""Secret format (``tokensmith.core.secrets``): prefix, length, alphabet, checksum, hint."""

from __future__ import annotations

import math
import string
import zlib

import pytest

from tokensmith.core import secrets as sf

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(number: int, width: int) -> str:
    """An independent base62 encoder, to check the module's checksum against."""
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = ALPHABET[rem] + out
    return out.rjust(width, "0")


@pytest.mark.parametrize("prefix", ["tss_", "tsp_", "tsa_", "glsa_", ""])
def test_generate_has_prefix_body_and_checksum(prefix: str) -> None:
    secret = sf.generate(prefix)
    assert secret.startswith(prefix)
    assert len(secret) == len(prefix) + 30 + 6
    rest = secret[len(prefix) :]
    assert set(rest) <= set(ALPHABET)
    body, check = rest[:30], rest[30:]
    assert check == base62(zlib.crc32((prefix + body).encode()), 6)
    assert sf.is_well_formed(secret, prefix)


def test_body_carries_at_least_160_bits() -> None:
    assert sf.BODY_LENGTH * math.log2(62) >= 160


def test_secrets_are_random() -> None:
    assert len({sf.generate("tss_") for _ in range(200)}) == 200


def test_checksum_known_vector() -> None:
    # crc32(b"tss_" + b"0" * 30) computed independently of the module under test.
    text = "tss_" + "0" * 30
    assert sf.checksum(text) == base62(zlib.crc32(text.encode()), 6)
    assert sf.is_well_formed(text + base62(zlib.crc32(text.encode()), 6), "tss_")
    assert len(sf.checksum("")) == 6  # crc32("") == 0 → zero-padded


def test_every_single_character_change_is_detected() -> None:
    secret = sf.generate("tss_")
    for i in range(4, len(secret)):
        for replacement in ("0", "z"):
            if secret[i] == replacement:
                continue
            tampered = secret[:i] + replacement + secret[i + 1 :]
            assert not sf.is_well_formed(tampered, "tss_"), (i, replacement)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s[:-1],  # too short
        lambda s: s + "a",  # too long
        lambda s: "tsp_" + s[4:],  # other kind's prefix
        lambda s: s.upper(),  # case matters (base62)
        lambda s: s[:10] + "-" + s[11:],  # outside the alphabet
        lambda s: s[:10] + "é" + s[11:],  # non-ASCII must not raise
        lambda s: "",
    ],
)
def test_malformed_secrets_are_rejected(mutate) -> None:  # type: ignore[no-untyped-def]
    secret = sf.generate("tss_")
    assert not sf.is_well_formed(mutate(secret), "tss_")


def test_a_secret_is_only_well_formed_for_its_own_prefix() -> None:
    secret = sf.generate("tss_")
    assert not sf.is_well_formed(secret, "tsp_")
    assert not sf.is_well_formed(secret, "ts")


def test_hint_is_prefix_and_last_four() -> None:
    secret = sf.generate("tss_")
    assert sf.hint(secret, "tss_") == "tss_…" + secret[-4:]
    assert secret[4:-4] not in sf.hint(secret, "tss_")
