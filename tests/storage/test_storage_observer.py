"""The database tells its observer (the metrics) of every call that failed as unavailable."""

from __future__ import annotations

import pytest

from tests.http.metrics_support import parse
from tests.live_serve import free_port
from tokensmith.core.errors import StorageUnavailable
from tokensmith.metrics import Metrics
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine


def test_an_unreachable_database_is_counted_as_a_storage_error() -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"  # nothing listens there
    database = Database(create_database_engine(url, timeout_seconds=1), timeout_seconds=1)
    metrics = Metrics.create()
    database.observer = metrics
    try:
        with pytest.raises(StorageUnavailable):
            database.ping()
        with pytest.raises(StorageUnavailable):
            database.fetch_one("SELECT 1", ())
    finally:
        database.dispose()
    scraped = parse(metrics.render()[0].decode())
    assert scraped.value("tokensmith_storage_errors_total", cause="OperationalError") == 2
