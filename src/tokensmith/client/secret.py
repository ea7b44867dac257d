"""A secret value that never shows itself by accident.

Client secrets, personal access tokens and access tokens travel through this package wrapped in
:class:`Secret`, so a ``repr()``, a debugger, a log line or an exception message built from an
object that holds one prints ``Secret('**********')`` instead of the value. Only the code that puts the
value on the wire calls :meth:`Secret.reveal`.
"""

from __future__ import annotations

import hmac
from typing import Final

_MASK: Final = "**********"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("a secret must be a non-empty string")
        self._value = value

    def reveal(self) -> str:
        """The value, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(other._value, self._value)

    def __hash__(self) -> int:
        return hash(self._value)
