"""Client IDs: 26 characters of lowercase base32."""

from __future__ import annotations

import re
import uuid

import pytest

from tokensmith.core import ids


def test_client_id_format() -> None:
    for _ in range(100):
        client_id = ids.new_client_id()
        assert re.fullmatch(r"[a-z2-7]{26}", client_id)
        assert ids.is_client_id(client_id)


def test_client_ids_are_unique() -> None:
    assert len({ids.new_client_id() for _ in range(500)}) == 500


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a" * 25,
        "a" * 27,
        "A" * 26,  # uppercase
        "a" * 25 + "0",  # 0, 1, 8, 9 are not base32
        "a" * 25 + "1",
        "a" * 25 + "8",
        "a" * 25 + ":",
        "a" * 25 + " ",
        "a" * 25 + "é",
    ],
)
def test_is_client_id_rejects(value: str) -> None:
    assert not ids.is_client_id(value)


def test_new_id_is_uuid4() -> None:
    assert uuid.UUID(ids.new_id()).version == 4
