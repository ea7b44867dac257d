"""The one rule for stored human text: :mod:`tokensmith.core.labels`."""

from __future__ import annotations

import pytest

from tokensmith.core.errors import BadRequest
from tokensmith.core.labels import clean_description, clean_name, has_control_characters
from tokensmith.core.users import normalise_email

CONTROLS = ["\x00", "\x01", "\x08", "\x1b", "\x7f", "\x85", "\x9b", "\t", "\n", "\r"]


@pytest.mark.parametrize("control", CONTROLS)
def test_names_refuse_every_control_character(control: str) -> None:
    with pytest.raises(BadRequest, match="control characters"):
        clean_name(f"a{control}b")
    with pytest.raises(BadRequest, match="control characters"):
        clean_name(f"name{control}")  # not hidden by trimming either


@pytest.mark.parametrize("control", [c for c in CONTROLS if c not in "\t\n\r"])
def test_descriptions_refuse_controls_but_tab_and_newlines(control: str) -> None:
    with pytest.raises(BadRequest, match="control characters"):
        clean_description(f"a{control}b")


def test_descriptions_keep_lines_and_tabs() -> None:
    assert clean_description("  one\r\ntwo\tthree\n ") == "one\r\ntwo\tthree"
    with pytest.raises(BadRequest, match="2000"):
        clean_description("x" * 2001)


def test_ordinary_unicode_is_not_a_control_character() -> None:
    assert not has_control_characters("Zoë 🚀 日本 \u00a0 – ok")
    assert clean_name("  Zoë 🚀  ") == "Zoë 🚀"


@pytest.mark.parametrize("email", ["a\x00@example.test", "a@example.test\x00", "a\x1b@example.test"])
def test_emails_refuse_control_characters(email: str) -> None:
    with pytest.raises(BadRequest, match="control characters"):
        normalise_email(email)
