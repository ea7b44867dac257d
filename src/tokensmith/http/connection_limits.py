"""Connection-level limits for ``tokensmith serve``: uvicorn's httptools protocol with deadlines.

uvicorn already bounds idle keep-alive connections (``timeout_keep_alive``) and the number of
connections and tasks (``limit_concurrency``, answered 503), but with httptools it reads a request
head of any size and waits forever for one to finish, and for its body. This module adds exactly
that to uvicorn's own protocol class (passed as ``http=``), nothing more — uvicorn still parses,
dispatches and writes:

* **Header size** (RFC 9110 §15.5.21 is silent on a number; RFC 6585 §5 defines the status): the
  request line and header fields together may hold at most ``max_header_bytes``, else
  ``431 Request Header Fields Too Large`` and the connection is closed. Bytes are counted as they
  arrive, so a head that never ends is refused once it passes the cap, not buffered.
* **Header deadline** (the slowloris defence): from the moment a connection opens, or a response
  ends on a kept-alive one, the next request head must be complete within ``header_timeout``.
  A head that has begun gets ``408 Request Timeout`` (RFC 9110 §15.5.9); a connection that sent
  nothing is closed silently (uvicorn's keep-alive timeout closes it earlier, and now also before
  the first request, which uvicorn leaves unbounded).
* **Body deadline**: a request's body must be complete within ``body_timeout`` after its head;
  else 408 (if no response has started) and the connection is closed, which the application sees
  as ``http.disconnect``. A request answered before its body ended (a 413) is never read further:
  its connection closes after :data:`LINGER_SECONDS` (uvicorn would read the rest, then keep it).

Bodies are capped by :mod:`tokensmith.http.body_limit` inside the application; the deadlines here
bound how long a body may take. :class:`ServerConfig` carries the limits to every worker process
(uvicorn pickles its config into spawned workers).
"""

from __future__ import annotations

import asyncio
import http
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

#: After a response that did not wait for the whole request body, how long the rest is read and
#: discarded before the connection closes (closing at once could reset the response away).
LINGER_SECONDS = 1.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0


class ServerConfig(Config):
    """uvicorn's :class:`~uvicorn.config.Config` plus :class:`ConnectionLimits` (picklable, so
    ``--workers N`` children get the same limits)."""

    def __init__(self, app: Any, *, connection_limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, http=LimitedHttpToolsProtocol, **kwargs)
        self.connection_limits = connection_limits


#: What the connection's deadline bounds: nothing, the next request head, a request body, the
#: linger after a response that did not wait for its body.
_NONE, _HEAD, _BODY, _LINGER = range(4)


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that was already answered."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`~uvicorn.protocols.http.httptools_impl.HttpToolsProtocol` with a header cap and
    header and body deadlines (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = getattr(config, "connection_limits", None)
        self.limits = limits if isinstance(limits, ConnectionLimits) else ConnectionLimits()
        #: The connection's one timer, when it fires, and the deadline and phase it enforces.
        self.deadline: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.deadline_at = 0.0
        self.phase = _NONE
        #: Waiting for a request head; how many bytes of it arrived.
        self.awaiting_head = True
        self.head_bytes = 0
        self.refused = False

    # Connection lifecycle -------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        # uvicorn arms its keep-alive timer only after a response: bound the first wait too.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        self._unset_keepalive_if_required()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, counting the bytes of an unfinished head and telling a refusal of ours
        (raised from a callback) from a malformed request (400)."""
        if self.refused:
            return
        if self.awaiting_head:
            self.head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.refused:
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self.awaiting_head and self.head_bytes > self.limits.max_header_bytes:
            self.refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    # Parser callbacks -----------------------------------------------------------------
    def on_headers_complete(self) -> None:
        size = len(self.url)
        for name, value in self.headers:
            size += len(name) + len(value) + 4
        if size > self.limits.max_header_bytes:
            self.refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            raise _Refused
        self.awaiting_head = False
        self.head_bytes = 0
        self._arm(self.limits.body_timeout, _BODY)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        super().on_message_complete()
        self.awaiting_head = True
        self.head_bytes = 0

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if pipelined or self.transport.is_closing():
            return
        if self.awaiting_head:
            self._await_head()
        else:  # answered before its body ended (e.g. 413): never read the rest, close soon
            self._arm(LINGER_SECONDS, _LINGER)

    # Deadlines ------------------------------------------------------------------------
    # One timer per connection, re-armed lazily: moving the deadline (twice per request) is an
    # attribute write, not a timer; the timer wakes at most once per deadline and, when the
    # deadline moved later meanwhile, sleeps again until then.
    def _await_head(self) -> None:
        self._arm(self.limits.header_timeout, _HEAD)

    def _arm(self, seconds: float, phase: int) -> None:
        self.phase = phase
        self.deadline_at = self.loop.time() + seconds
        if self.deadline is None or self.deadline_at < self.timer_at:
            if self.deadline is not None:
                self.deadline.cancel()
            self.timer_at = self.deadline_at
            self.deadline = self.loop.call_at(self.deadline_at, self._wake)

    def _cancel_deadline(self) -> None:
        self.phase = _NONE

    def _wake(self) -> None:
        self.deadline = None
        if self.phase == _NONE or self.transport.is_closing():
            return
        if self.loop.time() < self.deadline_at:
            self.timer_at = self.deadline_at
            self.deadline = self.loop.call_at(self.deadline_at, self._wake)
            return
        phase, self.phase = self.phase, _NONE
        if phase == _HEAD:
            self._head_timed_out()
        elif phase == _BODY:
            self._body_timed_out()
        else:
            self.transport.close()

    def _head_timed_out(self) -> None:
        if not self.awaiting_head:
            return
        if self.head_bytes:  # a head has begun
            self.refuse(http.HTTPStatus.REQUEST_TIMEOUT)
        else:
            self.transport.close()

    def _body_timed_out(self) -> None:
        if self.cycle is not None and self.cycle.response_started:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
            self.transport.close()
        else:
            self.refuse(http.HTTPStatus.REQUEST_TIMEOUT)

    # Refusals -------------------------------------------------------------------------
    def refuse(self, status: http.HTTPStatus) -> None:
        """Answer ``status`` in plain text, close the connection, and tell a request in flight
        that its client is gone (its ``receive`` returns ``http.disconnect``)."""
        if self.refused or self.transport.is_closing():
            return
        self.refused = True
        self._cancel_deadline()
        self._unset_keepalive_if_required()
        self.logger.info("refused a request: %d %s", status.value, status.phrase)
        body = status.phrase.encode("ascii")
        head = [f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode("ascii")]
        head.extend(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        head.append(b"content-type: text/plain; charset=utf-8\r\n")
        head.append(b"content-length: " + str(len(body)).encode("ascii") + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
