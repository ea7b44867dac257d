"""``tokensmith serve --workers 2``: every scrape sums the samples of both workers
(prometheus-client's multi-process mode), and the per-run directory is removed at exit.

A worker writes its totals to the shared files once a second (``tokensmith.metrics``), so a
scrape may see another worker's newest second of counts only on the next one: the test reads
until the sums arrive, within a few seconds, and then checks every worker answers the same."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, basic
from tests.http.metrics_support import scrape

REQUESTS = 24
#: Seconds to wait for what a worker publishes once a second.
PATIENCE = 10.0


def _eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, "not within the time workers take to publish"
        time.sleep(0.1)


def test_two_workers_are_summed(
    serve_processes: Any, make_credential: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cred = make_credential()
    run_tmp = tmp_path / "tmp"
    run_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(run_tmp))  # where the per-run directory goes
    served = serve_processes.start(workers=2)
    directories = list(run_tmp.glob("tokensmith-metrics-*"))
    assert len(directories) == 1, directories

    def pids() -> set[str]:  # each worker writes files of its own, named after its PID, from its start
        return {m.group(1) for f in directories[0].iterdir() if (m := re.search(r"_(\d+)\.db$", f.name))}

    _eventually(lambda: len(pids()) == 2)

    for _ in range(REQUESTS):
        # A new connection each time, so the kernel spreads them over both workers.
        with httpx.Client(base_url=served.url) as http:
            response = http.post(
                TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
            )
            assert response.status_code == 200, response.text

    def issued() -> float:
        return scrape(served.url).value("tokensmith_token_requests_total", route=TOKEN, result="issued")

    _eventually(lambda: issued() == REQUESTS)
    for _ in range(6):  # whichever worker answers the scrape, it reports both workers' counts
        scraped = scrape(served.url)
        assert scraped.value("tokensmith_token_requests_total", route=TOKEN, result="issued") == REQUESTS
        assert scraped.value("tokensmith_token_request_duration_seconds_count", route=TOKEN) == REQUESTS

    assert serve_processes.stop(served) == 0
    assert list(run_tmp.glob("tokensmith-metrics-*")) == []
