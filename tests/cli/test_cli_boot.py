"""Many processes boot at once: five ``tokensmith serve`` processes started at the same instant
on an empty database all come up (migrations and the signing-key bootstrap take turns under the
bootstrap lock: a PostgreSQL advisory lock, a file lock on SQLite), and the deployment ends with
exactly one signing key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from tests.conftest import TEST_SECRET_KEY
from tests.live_serve import ServeProcesses
from tokensmith.storage.engine import normalise_url
from tokensmith.storage.tables import signing_keys

PROCESSES = 5


@pytest.mark.timeout(600)
def test_five_processes_started_at_once_on_an_empty_database_all_come_up(
    empty_database_url: str, tmp_path: Path
) -> None:
    with ServeProcesses(empty_database_url, TEST_SECRET_KEY, tmp_path) as processes:
        launched = [processes.launch(issuer="http://tokensmith.test") for _ in range(PROCESSES)]
        for served in launched:
            processes.wait_ready(served, path="/readyz", seconds=120)
        published = {
            tuple(key["kid"] for key in httpx.get(served.url + "/.well-known/jwks.json").json()["keys"])
            for served in launched
        }
        assert len(published) == 1 and len(next(iter(published))) == 1, published
    engine = create_engine(normalise_url(empty_database_url))
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(signing_keys)).scalar() == 1
    finally:
        engine.dispose()
