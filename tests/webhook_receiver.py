"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that verifies every request with
the ``standardwebhooks`` library and records it.

``WebhookReceiver()`` as a context manager; ``set_secret(whsec)`` before deliveries arrive;
``fail_next(n, status=500)`` answers the next ``n`` requests with ``status``; ``hang_next(n)``
keeps the next ``n`` requests waiting until :meth:`release` (a receiver mid-request when a
process stops). ``received`` holds every verified request, ``rejected`` every one whose
signature did not verify (a test asserts it stays empty).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    id: str
    timestamp: str
    payload: dict[str, Any]
    answered: int

    @property
    def type(self) -> str:
        return str(self.payload["type"])


class WebhookReceiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secret: str | None = None
        self._fail: list[int] = []
        self._hang = 0
        self._release = threading.Event()
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver._handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def set_secret(self, secret: str) -> None:
        with self._lock:
            self._secret = secret

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._fail.extend([status] * count)

    def clear_failures(self) -> None:
        """Answer 2xx from now on."""
        with self._lock:
            self._fail.clear()

    def hang_next(self, count: int) -> None:
        with self._lock:
            self._hang = count
            self._release.clear()

    def release(self) -> None:
        self._release.set()

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self._lock:
            self.requests += 1
            secret = self._secret
            status = self._fail.pop(0) if self._fail else 204
            hang = self._hang > 0
            self._hang -= 1 if hang else 0
        if hang:
            self._release.wait(30)
            status = 503
        headers = {k: v for k, v in handler.headers.items()}
        try:
            assert secret is not None, "a delivery arrived before the test set the secret"
            payload = Webhook(secret).verify(body, headers)
        except (WebhookVerificationError, AssertionError, ValueError) as exc:
            with self._lock:
                self.rejected.append(f"{type(exc).__name__}: {exc}")
            status = 400
        else:
            with self._lock:
                self.received.append(
                    Received(headers["webhook-id"], headers["webhook-timestamp"], payload, status)
                )
        handler.send_response(status)
        handler.send_header("content-length", "0")
        handler.end_headers()

    def delivered(self) -> list[Received]:
        """Verified requests answered 2xx."""
        with self._lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def wait_for(self, count: int, *, seconds: float = 30.0) -> list[Received]:
        """Wait until ``count`` requests were delivered (2xx); all of them."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done = self.delivered()
            if len(done) >= count:
                return done
            time.sleep(0.05)
        raise AssertionError(
            f"{len(self.delivered())} of {count} webhooks delivered after {seconds} s; "
            f"rejected: {self.rejected}; payloads: {[json.dumps(r.payload)[:200] for r in self.received]}"
        )
