"""Counts kept in plain Python numbers, exported in Prometheus' formats when read.

``prometheus-client``'s collectors take a lock per increment and, in multi-process mode,
write a memory-mapped page each time; measured inside the token endpoint that came to about
10 µs a request (5 % of it). A :class:`Tally` instead adds to a dict of the calling thread
(one dict per thread, so two threads never race on one number and no lock is taken) and
does the Prometheus work only when somebody asks:

- one process: :class:`TallyCollector` is registered in the metrics' ``CollectorRegistry``
  and sums the threads' dicts at scrape time;
- several worker processes: :class:`ProcessFiles` writes this process's totals into
  ``prometheus-client``'s multi-process files (the format its ``MultiProcessCollector``
  reads), once a second and when the process stops, so a scrape sums every process's
  files as before — with a worker's newest second of counts still to come.

A key is ``(metric name, *label values)``; what the names and labels mean is
:mod:`tokensmith.metrics`' business.
"""

from __future__ import annotations

import math
import os
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

Key = tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """One exported metric: its kind, help text and label names."""

    name: str
    kind: str  # "counter" or "histogram"
    help: str
    labels: tuple[str, ...] = ()


class Tally:
    """Counters and histograms of one process, each thread adding to a dict of its own."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        #: Histogram upper bounds (``le``), ascending; +Inf is added.
        self.buckets = buckets
        self._shards: dict[int, tuple[dict[Key, int], dict[Key, list[float]]]] = {}

    def _shard(self) -> tuple[dict[Key, int], dict[Key, list[float]]]:
        ident = threading.get_ident()
        shard = self._shards.get(ident)
        if shard is None:
            # A thread that ended leaves its counts here; one that reuses its ident adds to them.
            shard = self._shards.setdefault(ident, ({}, {}))
        return shard

    def count(self, key: Key, amount: int = 1) -> None:
        counts = self._shard()[0]
        counts[key] = counts.get(key, 0) + amount

    def observe(self, key: Key, value: float) -> None:
        """One observation: its bucket (the first bound ≥ ``value``) and the sum (last slot)."""
        histograms = self._shard()[1]
        slots = histograms.get(key)
        if slots is None:
            slots = histograms[key] = [0.0] * (len(self.buckets) + 2)
        slots[bisect_left(self.buckets, value)] += 1
        slots[-1] += value

    def totals(self) -> tuple[dict[Key, int], dict[Key, list[float]]]:
        """Every thread's counts summed: per-bucket (not cumulative) counts, then the sum."""
        counts: dict[Key, int] = {}
        histograms: dict[Key, list[float]] = {}
        for shard_counts, shard_histograms in list(self._shards.values()):
            for key, count in shard_counts.copy().items():
                counts[key] = counts.get(key, 0) + count
            for key, slots in shard_histograms.copy().items():
                copied = list(slots)
                total = histograms.get(key)
                if total is None:
                    histograms[key] = copied
                else:
                    for index, slot in enumerate(copied):
                        total[index] += slot
        return counts, histograms


def _bounds(buckets: tuple[float, ...]) -> list[str]:
    return [floatToGoString(bound) for bound in (*buckets, math.inf)]  # type: ignore[no-untyped-call]


class TallyCollector(Collector):
    """The tally as Prometheus metric families: every family is listed, with or without samples."""

    def __init__(self, tally: Tally, families: Mapping[str, Family]) -> None:
        self._tally = tally
        self._families = families

    def collect(self) -> Iterator[Metric]:
        counts, histograms = self._tally.totals()
        bounds = _bounds(self._tally.buckets)
        for family in self._families.values():
            if family.kind == "counter":
                counter = CounterMetricFamily(family.name, family.help, labels=family.labels)
                if not family.labels:
                    counter.add_metric([], counts.get((family.name,), 0))
                for key, value in counts.items():
                    if key[0] == family.name and family.labels:
                        counter.add_metric(list(key[1:]), value)
                yield counter
                continue
            histogram = HistogramMetricFamily(family.name, family.help, labels=family.labels)
            for key, slots in histograms.items():
                if key[0] == family.name:
                    cumulative: list[tuple[str, float]] = []
                    running = 0.0
                    for bound, slot in zip(bounds, slots, strict=False):
                        running += slot
                        cumulative.append((bound, running))
                    histogram.add_metric(list(key[1:]), cumulative, sum_value=slots[-1])
            yield histogram


class ProcessFiles:
    """This process's totals in ``prometheus-client``'s multi-process files in ``directory``
    (``counter_<pid>.db``, ``histogram_<pid>.db``), rewritten whole by :meth:`publish`."""

    def __init__(
        self,
        tally: Tally,
        families: Mapping[str, Family],
        directory: str,
        *,
        process_id: Callable[[], int] = os.getpid,
    ) -> None:
        self._tally = tally
        self._families = families
        self._directory = directory
        #: Names this process's files (``prometheus-client``'s ``process_identifier``).
        self._process_id = process_id
        self._lock = threading.Lock()  # MmapedDict is not thread safe
        self._files: dict[str, MmapedDict] = {}
        self._pid = -1
        #: (sample name, *label values) → the file's key for it, a JSON text made once.
        self._keys: dict[tuple[str, ...], str] = {}

    def _file(self, kind: str) -> MmapedDict:
        if self._pid != self._process_id():  # a forked child writes files of its own
            self._pid, self._files = self._process_id(), {}
        file = self._files.get(kind)
        if file is None:
            path = os.path.join(self._directory, f"{kind}_{self._pid}.db")
            file = self._files[kind] = MmapedDict(path)  # type: ignore[no-untyped-call]
        return file

    def publish(self) -> None:
        counts, histograms = self._tally.totals()
        bounds = _bounds(self._tally.buckets)
        with self._lock:
            counters = self._file("counter")
            for family in self._families.values():
                if family.kind == "counter" and not family.labels:
                    counts.setdefault((family.name,), 0)
            for key, count in counts.items():
                counters.write_value(self._key(key, "_total"), float(count), 0.0)  # type: ignore[no-untyped-call]
            if histograms:
                file = self._file("histogram")
                for key, slots in histograms.items():
                    for bound, slot in zip(bounds, slots, strict=False):
                        file.write_value(self._key(key, "_bucket", bound), slot, 0.0)  # type: ignore[no-untyped-call]
                    file.write_value(self._key(key, "_sum"), slots[-1], 0.0)  # type: ignore[no-untyped-call]

    def _key(self, key: Key, suffix: str, le: str | None = None) -> str:
        """The file's key for the sample ``family + suffix`` of tally ``key`` (a bucket: ``le``)."""
        cache_key = (suffix, *key) if le is None else (suffix, le, *key)
        found = self._keys.get(cache_key)
        if found is None:
            family = self._families[key[0]]
            names, values = list(family.labels), list(key[1:])
            if le is not None:
                names, values = [*names, "le"], [*values, le]
            found = self._keys[cache_key] = mmap_key(
                family.name, family.name + suffix, names, values, family.help
            )
        return found

    def close(self) -> None:
        with self._lock:
            for file in self._files.values():
                file.close()  # type: ignore[no-untyped-call]
            self._files = {}
