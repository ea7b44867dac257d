"""The tally exports what ``prometheus-client``'s own collectors would for the same events,
in one process and through the multi-process files, and loses nothing across threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.http.metrics_support import parse
from tokensmith.tally import Family, ProcessFiles, Tally, TallyCollector

BUCKETS = (0.001, 0.01, 0.1, 1.0)
FAMILIES = {
    "t_requests": Family("t_requests", "counter", "Requests.", ("route", "result")),
    "t_plain": Family("t_plain", "counter", "An unlabelled counter."),
    "t_seconds": Family("t_seconds", "histogram", "Latency.", ("route",)),
}
#: Observations on bucket bounds, between them, below the first and above the last.
SECONDS = (0.0005, 0.001, 0.002, 0.01, 0.05, 0.1, 0.5, 1.0, 3.0, 0.001)


def _record(tally: Tally) -> None:
    for index, seconds in enumerate(SECONDS):
        route = "/a" if index % 3 else "/b"
        tally.count(("t_requests", route, "issued" if index % 2 else "invalid_client"))
        tally.observe(("t_seconds", route), seconds)
    tally.count(("t_plain",), 2)


def _reference() -> bytes:
    registry = CollectorRegistry()
    requests = Counter("t_requests", "Requests.", ("route", "result"), registry=registry)
    plain = Counter("t_plain", "An unlabelled counter.", registry=registry)
    seconds = Histogram("t_seconds", "Latency.", ("route",), buckets=BUCKETS, registry=registry)
    for index, value in enumerate(SECONDS):
        route = "/a" if index % 3 else "/b"
        requests.labels(route, "issued" if index % 2 else "invalid_client").inc()
        seconds.labels(route).observe(value)
    plain.inc(2)
    return generate_latest(registry)


def _without_created(text: bytes) -> list[tuple[str, dict[str, str], float]]:
    return sorted(
        (sample for sample in parse(text.decode()).samples if not sample[0].endswith("_created")),
        key=repr,
    )


def test_one_process_exposition_matches_prometheus_client() -> None:
    tally = Tally(BUCKETS)
    _record(tally)
    registry = CollectorRegistry()
    registry.register(TallyCollector(tally, FAMILIES))
    assert _without_created(generate_latest(registry)) == _without_created(_reference())


def test_every_family_is_listed_before_anything_is_counted() -> None:
    registry = CollectorRegistry()
    registry.register(TallyCollector(Tally(BUCKETS), FAMILIES))
    scraped = parse(generate_latest(registry).decode())
    assert scraped.families == {"t_requests", "t_plain", "t_seconds"}
    assert scraped.value("t_plain_total") == 0


def _process(pid: int) -> Callable[[], int]:
    return lambda: pid


def test_the_multiprocess_files_sum_like_prometheus_client(tmp_path: Path) -> None:
    first, second = Tally(BUCKETS), Tally(BUCKETS)
    _record(first)
    _record(second)
    # One test process stands in for two, each writing files named after its own id.
    files = [
        ProcessFiles(tally, FAMILIES, str(tmp_path), process_id=_process(pid))
        for pid, tally in ((101, first), (102, second))
    ]
    files[0].publish()
    files[1].publish()
    _record(first)  # counted after a publish: in the files only at the next one
    files[0].publish()
    files[0].publish()  # publishing again rewrites totals, it does not add them twice
    for file in files:
        file.close()
    assert len(list(tmp_path.glob("*.db"))) == 4
    combined = CollectorRegistry()
    MultiProcessCollector(combined, path=str(tmp_path))  # type: ignore[no-untyped-call]
    scraped = parse(generate_latest(combined).decode())
    reference = parse(_reference().decode())
    for name, labels, value in reference.samples:
        if not name.endswith("_created"):
            assert scraped.value(name, **labels) == pytest.approx(3 * value), (name, labels)


def test_counts_from_many_threads_are_all_kept() -> None:
    tally = Tally(BUCKETS)
    per_thread = 20_000

    def work() -> None:
        for _ in range(per_thread):
            tally.count(("t_plain",))
            tally.observe(("t_seconds", "/a"), 0.005)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts, histograms = tally.totals()
    assert counts[("t_plain",)] == 8 * per_thread
    assert histograms[("t_seconds", "/a")][1] == 8 * per_thread  # the (0.001, 0.01] bucket
    assert sum(histograms[("t_seconds", "/a")][:-1]) == 8 * per_thread
