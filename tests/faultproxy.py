"""A TCP proxy a test puts between Tokensmith and a server (PostgreSQL, Redis) to inject faults.

``FaultProxy(("127.0.0.1", 5432))`` listens on ``127.0.0.1:<free port>`` and forwards every
connection to the target, until the test says otherwise:

``cut()``
    Reset every open connection and every new one (as a server that went down: "connection
    reset", then "connection refused"-like failures).
``blackhole()``
    Keep every socket open and stop forwarding in both directions: bytes are accepted (the
    kernel still ACKs them) and held, new connections are accepted and never answered. This is
    a server that stopped answering (stalled, paused), which no TCP-level timeout detects.
``restore()``
    Forward again: held bytes flow on, held connections reach the target.

Use it as a context manager (``with FaultProxy(target) as proxy:``); ``proxy.port`` is the
port to point the client at, ``proxy.url_for(url)`` rewrites a database URL's host and port.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType

from sqlalchemy.engine import make_url


class FaultProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._mode = "forward"
        self._lock = threading.Lock()
        #: client socket → upstream socket (None while held before reaching the target)
        self._pairs: dict[socket.socket, socket.socket | None] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"fault-proxy-{self.port}", daemon=True)

    # control --------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            for client, upstream in self._pairs.items():
                _reset(client)
                if upstream is not None:
                    upstream.close()
            self._pairs.clear()
        self._listener.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def cut(self) -> None:
        """Reset every connection, now and from now on."""
        with self._lock:
            self._mode = "cut"
            for client, upstream in self._pairs.items():
                _reset(client)
                if upstream is not None:
                    upstream.close()
            self._pairs.clear()

    def blackhole(self) -> None:
        """Keep sockets open, forward nothing either way."""
        with self._lock:
            self._mode = "blackhole"

    def restore(self) -> None:
        """Forward again (held bytes and connections go through)."""
        with self._lock:
            self._mode = "forward"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def url_for(self, url: str) -> str:
        """``url`` with its host and port replaced by this proxy's."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    # forwarding -----------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                mode = self._mode
                if mode == "forward":
                    self._connect_held()
                readable = [self._listener]
                if mode == "forward":
                    for client, upstream in self._pairs.items():
                        readable.append(client)
                        if upstream is not None:
                            readable.append(upstream)
            try:
                ready, _, _ = select.select(readable, [], [], 0.05)
            except (OSError, ValueError):
                continue  # a socket was closed by cut(); look again
            for sock in ready:
                if sock is self._listener:
                    self._accept()
                else:
                    self._forward(sock)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        with self._lock:
            if self._mode == "cut":
                _reset(client)
                return
            self._pairs[client] = None
            if self._mode == "forward":
                self._connect_held()

    def _connect_held(self) -> None:
        for client, upstream in list(self._pairs.items()):
            if upstream is None:
                try:
                    self._pairs[client] = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _reset(client)
                    del self._pairs[client]

    def _forward(self, sock: socket.socket) -> None:
        with self._lock:
            if self._mode != "forward":
                return
            pair = self._pair_of(sock)
            if pair is None:
                return
            client, upstream = pair
            other = upstream if sock is client else client
            try:
                data = sock.recv(65536)
                if data:
                    other.sendall(data)
                    return
            except OSError:
                pass
            # One side closed or failed: close both.
            del self._pairs[client]
            client.close()
            upstream.close()

    def _pair_of(self, sock: socket.socket) -> tuple[socket.socket, socket.socket] | None:
        for client, upstream in self._pairs.items():
            if upstream is not None and sock in (client, upstream):
                return client, upstream
        return None


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a crashed server's host would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
