"""Scope parameter parsing (RFC 6749 §3.3) and the settings' scope registry."""

from __future__ import annotations

import pytest

from tokensmith.core import scopes
from tokensmith.core.errors import InvalidRequest
from tokensmith.settings import DEFAULT_SCOPES, MANAGEMENT_SCOPES, Settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, frozenset()),
        ("", frozenset()),
        ("api/access", frozenset({"api/access"})),
        ("project:read voice:read", frozenset({"project:read", "voice:read"})),
        ("a a", frozenset({"a"})),
        ("!#[]~", frozenset({"!#[]~"})),  # %x21 / %x23-5B / %x5D-7E edges
    ],
)
def test_parse_valid(raw: str | None, expected: frozenset[str]) -> None:
    assert scopes.parse(raw) == expected


@pytest.mark.parametrize("raw", ["a  b", " a", "a ", "a\tb", 'a"b', "a\\b", "caf\u00e9", "a\nb", " "])
def test_parse_rejects_bad_syntax(raw: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        scopes.parse(raw)
    assert caught.value.error == "invalid_request"
    assert caught.value.status == 400


def test_format_is_sorted_deduplicated_space_delimited() -> None:
    assert scopes.format_scopes(["b", "a", "b"]) == "a b"
    assert scopes.format_scopes([]) == ""


def test_unknown_lists_scopes_missing_from_registry_sorted() -> None:
    assert scopes.unknown(["z", "api/access", "a"], {"api/access": ""}) == ["a", "z"]


def test_registry_default_and_custom() -> None:
    assert Settings(secret_key="x" * 32).scope_registry() == DEFAULT_SCOPES
    registry = Settings(scopes="read=Read things, write\n api/access").scope_registry()
    assert registry["read"] == "Read things"
    assert registry["write"] == "write"
    assert registry["api/access"] == DEFAULT_SCOPES["api/access"]
    assert registry.keys() >= MANAGEMENT_SCOPES  # management scopes are always offered
