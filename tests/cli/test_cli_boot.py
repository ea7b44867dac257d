"""Many processes boot at once: five ``tokensmith serve`` processes started at the same instant
on an empty database all come up (migrations and the signing-key bootstrap take turns under the
bootstrap lock: a PostgreSQL advisory lock, a file lock on SQLite), and the deployment ends with
exactly one signing key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from tokensmith.storage.engine import normalise_url
from tokensmith.storage.tables import signing_keys

TOKENSMITH = str(Path(sys.executable).with_name("tokensmith"))
SECRET_KEY = "test-master-key-0123456789abcdefghijklmnopqrstuvwxyz"
PROCESSES = 5


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tokensmith serve exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"tokensmith serve did not become ready:\n{log.read_text()[-3000:]}")


@pytest.mark.timeout(600)
def test_five_processes_started_at_once_on_an_empty_database_all_come_up(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
    env.update(
        TOKENSMITH_DATABASE_URL=empty_database_url,
        TOKENSMITH_SECRET_KEY=SECRET_KEY,
        TOKENSMITH_ISSUER="http://tokensmith.test",
    )
    ports = _free_ports(PROCESSES)
    logs = [tmp_path / f"serve-{port}.log" for port in ports]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port, log in zip(ports, logs, strict=True):
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own console script
                    [TOKENSMITH, "serve", "--host", "127.0.0.1", "--port", str(port)],
                    env=env,
                    cwd=tmp_path,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for process, url, log in zip(processes, urls, logs, strict=True):
            _wait_ready(process, url, log)
        published = {
            tuple(key["kid"] for key in httpx.get(url + "/.well-known/jwks.json").json()["keys"])
            for url in urls
        }
        assert len(published) == 1 and len(next(iter(published))) == 1, published
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    engine = create_engine(normalise_url(empty_database_url))
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(signing_keys)).scalar() == 1
    finally:
        engine.dispose()
