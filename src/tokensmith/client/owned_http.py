"""An SDK object that makes its own ``httpx.Client`` unless it is handed one, and closes only its own."""

from __future__ import annotations

from typing import Self

import httpx


class OwnsHttpClient:
    """:meth:`close`, or the end of a ``with`` block, closes ``_http`` when this object made it; a
    client passed in is the caller's to close."""

    _http: httpx.Client
    _owns_http: bool

    def close(self) -> None:
        """Close the HTTP client this object made (not one passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
