"""String literals for each sample language, so a rendered value can never break out of its quotes.

Each function returns a complete literal (quotes included) whose value is exactly the input.
"""

from __future__ import annotations

import json
from collections.abc import Callable

__all__ = ["LITERALS", "go_string", "javascript_string", "python_string", "ruby_string", "shell_word"]


def _check(value: str) -> str:
    if "\x00" in value:
        raise ValueError("sample values cannot contain NUL")
    return value


def shell_word(value: str) -> str:
    """POSIX shell single quotes: nothing inside is special; a ``'`` becomes ``'\\''``."""
    return "'" + _check(value).replace("'", "'\\''") + "'"


def python_string(value: str) -> str:
    return repr(_check(value))


def javascript_string(value: str) -> str:
    """JSON strings are JavaScript strings (ES2019 allows U+2028/U+2029 in them)."""
    return json.dumps(_check(value), ensure_ascii=False)


def ruby_string(value: str) -> str:
    """Ruby single quotes, where only ``\\\\`` and ``\\'`` are escapes (so ``#{}`` stays inert)."""
    return "'" + _check(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def go_string(value: str) -> str:
    """A Go interpreted string literal: JSON's escapes are also Go's."""
    return json.dumps(_check(value), ensure_ascii=False)


LITERALS: dict[str, Callable[[str], str]] = {
    "shell": shell_word,
    "python": python_string,
    "javascript": javascript_string,
    "ruby": ruby_string,
    "go": go_string,
}
