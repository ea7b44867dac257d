"""Starting a server pinned to one core, waiting until it answers, and stopping it by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """A server did not start, or died."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(argv: list[str], cpu: int | str | None) -> list[str]:
    """``argv`` run under ``taskset -c CPU`` (taskset execs, so the PID stays the program's);
    ``cpu`` may be a core or a taskset list such as ``"0,1"``."""
    return argv if cpu is None else ["taskset", "-c", str(cpu), *argv]


@dataclass
class Server:
    """One server process this harness started; its output goes to ``log_path``."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: BinaryIO

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def assert_running(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise ServerError(f"{self.name} exited with {code}:\n{self.log_tail()}")


def start(name: str, argv: list[str], env: dict[str, str], cwd: Path, log_dir: Path) -> Server:
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(name=name, process=process, log_path=log_path, log_file=log)


def wait_ready(server: Server, url: str, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll ``url`` until the server answers with any HTTP status."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.assert_running()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise ServerError(f"{server.name} did not answer {url} within {timeout_s:.0f} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """SIGTERM the server's PID, then SIGKILL it if it has not exited in time."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log_file.close()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its live descendants (all threads)."""
    return _own_cpu_seconds(pid) + sum(cpu_seconds(child) for child in _children(pid))
