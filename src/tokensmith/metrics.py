"""Prometheus metrics: the one place that defines every metric Tokensmith exports.

Built on ``prometheus-client``. Its usual style is module-level collectors in the global
``REGISTRY``; Tokensmith does not do that, so that importing the package builds nothing
(STYLE.md rule 6) and so that several apps in one process (tests, the demo) never clash over
a metric name. Instead :meth:`Metrics.create` builds the one collector (the tally's, below) in a
:class:`~prometheus_client.CollectorRegistry` of the :class:`Metrics` object, which
``build_services`` makes once and hands to whoever records (``Services.metrics``; the
database gets it as its :class:`~tokensmith.storage.observer.StorageObserver`).

Counts are kept by a :class:`~tokensmith.tally.Tally`: plain numbers in a dict of the
recording thread, no lock and no file write on the hot path (a token request pays three dict
updates, about a microsecond; ``prometheus-client``'s own collectors cost ten times that
there). Prometheus' formats are made when they are read (:mod:`tokensmith.tally`).

Several worker processes (``tokensmith serve --workers N``): ``prometheus-client``'s
multi-process mode. The parent creates a fresh directory per run, names it in
``PROMETHEUS_MULTIPROC_DIR`` before any worker starts, and removes it when the server stops
(:func:`multiprocess_directory`). Each worker writes its totals to its own files there every
:data:`PUBLISH_EVERY_SECONDS` and when it stops (:meth:`Metrics.publish`), and a scrape, served
by whichever worker the connection reaches, sums every process's files with
:class:`~prometheus_client.multiprocess.MultiProcessCollector`: the answering worker's counts
are current, the others' at most a second old. A worker that dies and is replaced keeps its
published counts in the sum: counters never go backwards.

With ``TOKENSMITH_METRICS=false`` the :data:`NO_METRICS` object records nothing at all.

Label values are bounded: grants, routes and error codes come from fixed sets (anything else
is ``other``), so a client cannot grow the number of series by sending odd parameters.

Webhook deliveries are recorded by whoever delivers them: :meth:`Metrics.webhook_delivery`
with an outcome such as ``delivered``, ``failed``, ``retrying`` or ``disabled``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tokensmith.tally import Family, ProcessFiles, Tally, TallyCollector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Seconds; from a cached token hit (sub-millisecond) to a slow network database.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

GRANTS = frozenset(
    {
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "authorization_code",
        "refresh_token",
        "none",
    }
)
#: RFC 6749 §5.2, RFC 8693 §2.2.2 and the codes Tokensmith renders on its OAuth endpoints.
ERROR_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_target",
        "invalid_dpop_proof",
        "use_dpop_nonce",
        "slow_down",
        "temporarily_unavailable",
        "server_error",
    }
)
#: Client-authentication failures, by the private detail each failure carries.
AUTH_FAILURE_REASONS = {
    "malformed client id or secret": "malformed",
    "unknown client": "unknown_client",
    "wrong secret": "wrong_secret",
    "": "missing",
}

#: Every metric Tokensmith exports, with its help text (the exposition's ``# HELP`` line).
METRIC_HELP: dict[str, str] = {
    "tokensmith_token_requests": (
        "Token endpoint requests by grant, route (dialect), token format and result (issued, or the OAuth "
        "error code)."
    ),
    "tokensmith_token_request_duration_seconds": (
        "Token endpoint latency by route, from the request to its response."
    ),
    "tokensmith_introspection_requests": (
        "Introspection (RFC 7662) requests by result (active, inactive, or the OAuth error code)."
    ),
    "tokensmith_introspection_duration_seconds": "Introspection latency, from the request to its response.",
    "tokensmith_auth_failures": "Failed client or subject-token authentications, by reason.",
    "tokensmith_rate_limited": "Requests refused by a rate limit (429), by limit.",
    "tokensmith_lookup_cache_requests": (
        "Lookups answered from the in-process cache (hit) or read from the database (miss)."
    ),
    "tokensmith_storage_errors": "Database calls that failed as unavailable (answered 503), by cause.",
    "tokensmith_webhook_deliveries": "Webhook delivery attempts, by outcome.",
    "tokensmith_tokens_reused": (
        "Token requests answered with a still-valid token already issued (token reuse)."
    ),
    "tokensmith_token_overissue": (
        "Tokens issued to a credential beyond what its token lifetime needs (more than the threshold "
        "within one token lifetime)."
    ),
}


def bounded(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


#: Every family, its kind and its label names (the order of a tally key's label values).
FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(name, kind, METRIC_HELP[name], labels)
        for name, kind, labels in (
            ("tokensmith_token_requests", "counter", ("grant", "route", "format", "result")),
            ("tokensmith_token_request_duration_seconds", "histogram", ("route",)),
            ("tokensmith_introspection_requests", "counter", ("result",)),
            ("tokensmith_introspection_duration_seconds", "histogram", ()),
            ("tokensmith_auth_failures", "counter", ("reason",)),
            ("tokensmith_rate_limited", "counter", ("limit",)),
            ("tokensmith_lookup_cache_requests", "counter", ("cache", "result")),
            ("tokensmith_storage_errors", "counter", ("cause",)),
            ("tokensmith_webhook_deliveries", "counter", ("outcome",)),
            ("tokensmith_tokens_reused", "counter", ()),
            ("tokensmith_token_overissue", "counter", ()),
        )
    )
}
#: Seconds between two writes of a worker's totals to the multi-process files.
PUBLISH_EVERY_SECONDS = 1.0


class Metrics:
    """Every metric, and the methods that record them (one per event the product counts)."""

    enabled = True

    def __init__(self, registry: CollectorRegistry, *, multiprocess_dir: str | None) -> None:
        self.registry = registry
        self.multiprocess_dir = multiprocess_dir
        self._tally = Tally(LATENCY_BUCKETS)
        self._count = self._tally.count
        self._observe = self._tally.observe
        self._files: ProcessFiles | None = None
        self._unwritable = False
        if multiprocess_dir is None:
            registry.register(TallyCollector(self._tally, FAMILIES))
        else:
            self._files = ProcessFiles(self._tally, FAMILIES, multiprocess_dir)
            self.publish()  # this process's files exist from its start, its counters at 0

    @classmethod
    def create(cls) -> Metrics:
        """Fresh collectors; multi-process aware when ``PROMETHEUS_MULTIPROC_DIR`` is set."""
        directory = os.environ.get(MULTIPROC_ENV) or None
        return cls(CollectorRegistry(auto_describe=True), multiprocess_dir=directory)

    # recording ------------------------------------------------------------------
    def token_request(
        self, *, grant: str, route: str, token_format: str, result: str, seconds: float
    ) -> None:
        """One token-endpoint answer. ``result``: ``issued`` or the OAuth error code."""
        self._count(
            ("tokensmith_token_requests", bounded(grant, GRANTS), route, token_format, _result(result))
        )
        self._observe(("tokensmith_token_request_duration_seconds", route), seconds)

    def introspection(self, *, result: str, seconds: float) -> None:
        result = result if result in ("active", "inactive") else _result(result)
        self._count(("tokensmith_introspection_requests", result))
        self._observe(("tokensmith_introspection_duration_seconds",), seconds)

    def auth_failure(self, reason: str) -> None:
        self._count(("tokensmith_auth_failures", reason))

    def rate_limited(self, limit: str) -> None:
        self._count(("tokensmith_rate_limited", limit))

    def cache_lookup(self, cache: str, hit: bool) -> None:
        self._count(("tokensmith_lookup_cache_requests", cache, "hit" if hit else "miss"))

    def storage_error(self, cause: str) -> None:
        self._count(("tokensmith_storage_errors", cause))

    def webhook_delivery(self, outcome: str) -> None:
        """A webhook delivery attempt ended: ``delivered``, ``failed``, ``retrying``, ``disabled``…"""
        self._count(("tokensmith_webhook_deliveries", outcome))

    def token_reused(self) -> None:
        self._count(("tokensmith_tokens_reused",))

    def token_overissue(self) -> None:
        self._count(("tokensmith_token_overissue",))

    # exposition ---------------------------------------------------------------------
    def publish(self) -> None:
        """Several workers: write this process's totals to the shared files (the server does
        so every :data:`PUBLISH_EVERY_SECONDS` and when it stops). One process: nothing to do.

        A directory that cannot be written (removed, full disk) is logged, once until it can
        be written again, and never raised: the counts stay in memory and the next publish
        writes them whole."""
        if self._files is None:
            return
        try:
            self._files.publish()
        except OSError as exc:
            if not self._unwritable:
                log.warning("cannot write metrics to %s (%s); will retry", self.multiprocess_dir, exc)
            self._unwritable = True
            return
        self._unwritable = False

    def render(self) -> tuple[bytes, str]:
        """The text exposition format (every process's samples summed in multi-process mode)."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        self.publish()  # this worker's counts are current; the others' are at most a second old
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(combined), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """The last publish, and the files closed."""
        if self._files is not None:
            self.publish()
            self._files.close()


class NoMetrics(Metrics):
    """Metrics switched off (``TOKENSMITH_METRICS=false``): every recording is a no-op."""

    enabled = False

    def __init__(self) -> None:  # noqa: D107 - no collectors at all
        self.registry = CollectorRegistry()
        self.multiprocess_dir = None

    def _record_nothing(self, *args: Any, **kwargs: Any) -> None:
        return None

    token_request = introspection = auth_failure = rate_limited = cache_lookup = _record_nothing
    storage_error = webhook_delivery = token_reused = token_overissue = _record_nothing
    publish = close = _record_nothing

    def render(self) -> tuple[bytes, str]:
        return b"", CONTENT_TYPE_LATEST


#: The metrics of a deployment that switched them off, and of code built without any.
NO_METRICS = NoMetrics()


def _result(code: str) -> str:
    return code if code == "issued" else bounded(code, ERROR_CODES)


@contextlib.contextmanager
def multiprocess_directory() -> Iterator[str]:
    """A fresh ``PROMETHEUS_MULTIPROC_DIR`` for one run of several workers, removed afterwards.

    An operator's own ``PROMETHEUS_MULTIPROC_DIR`` is used as it is and left in place (they
    own its lifecycle); otherwise a private directory is created, set in the environment the
    workers inherit, and removed with its files when the server stops, so a restart never
    adds the previous run's counts.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="tokensmith-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
