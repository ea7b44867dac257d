"""Real ``tokensmith serve`` subprocesses, and raw-socket HTTP helpers.

``ServeProcesses(database_url, secret_key, tmp_path)`` starts them (``start(workers=1, **env)``,
env names without the ``TOKENSMITH_`` prefix; ``launch`` starts without waiting, ``wait_ready``
waits) and stops, then kills, whatever is left at exit — only the processes it started, by PID.
The ``serve_processes`` fixture (tests/conftest.py) is one on the test's database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

TOKENSMITH = str(Path(sys.executable).with_name("tokensmith"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def connect(self, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class ServeProcesses:
    def __init__(self, database_url: str, secret_key: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.secret_key = secret_key
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def launch(self, *, workers: int = 1, **env: str) -> Served:
        """Start ``tokensmith serve`` on a free port; do not wait for it."""
        port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
        environment.update(
            TOKENSMITH_DATABASE_URL=self.database_url,
            TOKENSMITH_SECRET_KEY=self.secret_key,
            TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS="0",
        )
        environment.update({f"TOKENSMITH_{name.upper()}": value for name, value in env.items()})
        log = self.tmp_path / f"serve-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own console script
                [TOKENSMITH, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                env=environment,
                cwd=self.tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return Served(f"http://127.0.0.1:{port}", port, process, log)

    def wait_ready(self, served: Served, *, path: str = "/healthz", seconds: float = 60) -> Served:
        """Wait until ``path`` answers 200; raise with the server's output if it exits or times out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if served.process.poll() is not None:
                raise RuntimeError(f"tokensmith serve exited {served.process.returncode}:\n{served.output()}")
            try:
                if httpx.get(served.url + path, timeout=2).status_code == 200:
                    return served
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"tokensmith serve did not become ready:\n{served.output()}")

    def start(self, *, workers: int = 1, **env: str) -> Served:
        return self.wait_ready(self.launch(workers=workers, **env))

    def stop(self, served: Served, *, seconds: float = 30) -> int:
        """SIGTERM (a graceful shutdown) and wait; the exit status."""
        served.process.send_signal(signal.SIGTERM)
        return served.process.wait(timeout=seconds)

    def __enter__(self) -> ServeProcesses:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as closed);
    raises ``TimeoutError`` if it is still open after ``timeout`` seconds."""
    sock.settimeout(timeout)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def read_response(sock: socket.socket, timeout: float) -> bytes:
    """One whole response with a ``Content-Length`` body, leaving the connection open."""
    sock.settimeout(timeout)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    length = int(headers_of(received).get("content-length", "0"))
    while len(body_of(received)) < length:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    return received


def status_of(response: bytes) -> int:
    """The status code of the first response in ``response`` (raw HTTP/1.1 bytes)."""
    line = response.split(b"\r\n", 1)[0]
    assert line.startswith(b"HTTP/1.1 "), response[:200]
    return int(line.split()[1])


def headers_of(response: bytes) -> dict[str, str]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in head)}


def body_of(response: bytes) -> bytes:
    return response.split(b"\r\n\r\n", 1)[1]
