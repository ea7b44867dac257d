"""The results: one row per target, the ratios the targets are judged on, and JSON.

The targets (see :func:`_goals`) are reported as "met" or "not met", never asserted: the run's
exit status only reflects correctness.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.loadgen import LoadResult
from harness.machine import CpuUse

#: Cores used by other processes during a measurement above which it is flagged as noisy.
NOISE_CORES = 0.15


@dataclass
class Row:
    """What happened to one target: ``ok``, ``failed`` (with a reason) or ``skipped``."""

    key: str
    label: str
    status: str = "ok"
    reason: str = ""
    warmup: LoadResult | None = None
    measured: LoadResult | None = None
    cpu: CpuUse | None = None
    token_header: dict[str, Any] | None = None
    #: What the measured requests cost PostgreSQL (:func:`harness.postgres.per_request`).
    database: dict[str, float] | None = None
    #: Throughput of every round of this target, when it was measured more than once.
    round_rps: list[float] = field(default_factory=list)


def combine(rounds: list[Row]) -> Row:
    """One row from several rounds: a failure if any failed, else the (lower) median round."""
    failed = [row for row in rounds if row.status != "ok"]
    if failed:
        return failed[0]
    ranked = sorted(rounds, key=lambda row: row.measured.rps if row.measured else 0.0)
    chosen = ranked[(len(ranked) - 1) // 2]
    chosen.round_rps = [round(row.measured.rps, 1) for row in rounds if row.measured]
    return chosen


def _load_json(result: LoadResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "requests": result.requests,
        "duration_s": round(result.duration_s, 3),
        "rps": round(result.rps, 1),
        "non_200": result.non_200,
        "socket_errors": result.socket_errors,
        "latency_ms": {name: round(value, 3) for name, value in result.latency_ms.items()},
    }


def row_json(row: Row) -> dict[str, Any]:
    return {
        "label": row.label,
        "status": row.status,
        "reason": row.reason,
        "measured": _load_json(row.measured),
        "warmup": _load_json(row.warmup),
        "cpu_cores": None if row.cpu is None else {k: round(v, 3) for k, v in asdict(row.cpu).items()},
        "token_header": row.token_header,
        "postgresql": row.database,
        "round_rps": row.round_rps,
    }


def _measured(rows: list[Row], key: str) -> LoadResult | None:
    row = next((r for r in rows if r.key == key), None)
    return row.measured if row is not None and row.status == "ok" else None


@dataclass(frozen=True)
class Goal:
    """A ratio between two rows' figures, and the target it is judged against (if any)."""

    name: str
    text: str
    top: str
    bottom: str
    metric: str = "rps"  # "rps", or a latency percentile: "p50", "p99"
    at_least: float | None = None
    at_most: float | None = None

    def value(self, rows: list[Row]) -> float | None:
        top, bottom = _measured(rows, self.top), _measured(rows, self.bottom)
        if top is None or bottom is None:
            return None
        if self.metric == "rps":
            return top.rps / bottom.rps if bottom.rps else None
        below = bottom.latency_ms[self.metric]
        return top.latency_ms[self.metric] / below if below else None

    def verdict(self, value: float) -> str:
        if self.at_least is not None:
            return f"target ≥ {self.at_least:g}×: " + ("met" if value >= self.at_least else "not met")
        if self.at_most is not None:
            return f"target ≤ {self.at_most:g}×: " + ("met" if value <= self.at_most else "not met")
        return ""

    def met(self, value: float) -> bool | None:
        if self.at_least is not None:
            return value >= self.at_least
        if self.at_most is not None:
            return value <= self.at_most
        return None


def _goals() -> list[Goal]:
    """The targets (medians of 5 rounds in the real run), then figures shown for context."""
    goals = [
        Goal(
            "pg_over_sqlite_token_rps",
            "token endpoint req/s, PostgreSQL ÷ SQLite",
            "tokensmith-pg",
            "tokensmith",
            at_least=0.9,
        ),
        Goal(
            "pg_over_sqlite_token_p99",
            "token endpoint p99, PostgreSQL ÷ SQLite",
            "tokensmith-pg",
            "tokensmith",
            "p99",
            at_most=2.0,
        ),
        Goal(
            "metrics_on_over_off_token_rps",
            "token endpoint req/s, SQLite, metrics on ÷ off",
            "tokensmith",
            "tokensmith-metrics-off",
            at_least=0.95,
        ),
        Goal(
            "dpop_over_bearer_token_rps",
            "token endpoint req/s, SQLite, DPoP ÷ bearer",
            "tokensmith-dpop",
            "tokensmith",
            at_least=0.7,
        ),
        Goal(
            "sqlite_token_over_peer_rps",
            "token endpoint req/s, SQLite ÷ oidc-provider",
            "tokensmith",
            "oidc-provider",
            at_least=1.5,
        ),
        Goal(
            "pg_token_over_peer_rps",
            "token endpoint req/s, PostgreSQL ÷ oidc-provider",
            "tokensmith-pg",
            "oidc-provider",
            at_least=1.5,
        ),
        Goal(
            "sqlite_introspect_over_token_rps",
            "introspection of a PAT ÷ token endpoint req/s, SQLite",
            "tokensmith-introspect",
            "tokensmith",
            at_least=1.0,
        ),
        Goal(
            "pg_introspect_over_token_rps",
            "introspection of a PAT ÷ token endpoint req/s, PostgreSQL",
            "tokensmith-pg-introspect",
            "tokensmith-pg",
            at_least=1.0,
        ),
    ]
    for key, what in (
        ("tokensmith-me", "GET /api/me, SQLite"),
        ("tokensmith-pg-me", "GET /api/me, PostgreSQL"),
        ("tokensmith-mgmt", "GET /api/tokens, SQLite"),
        ("tokensmith-pg-mgmt", "GET /api/tokens, PostgreSQL"),
    ):
        name = key.removeprefix("tokensmith-").replace("-", "_") + "_over_floor_rps"
        goals.append(Goal(name, f"{what} ÷ floor req/s", key, "floor", at_least=0.25))
    goals += [
        Goal(
            "scale_over_empty_token_p50",
            "token endpoint p50, PostgreSQL, scale data ÷ empty",
            "scale-token",
            "tokensmith-pg",
            "p50",
            at_most=1.2,
        ),
        Goal(
            "scale_over_empty_me_p50",
            "GET /api/me p50, PostgreSQL, scale data ÷ empty",
            "scale-me",
            "tokensmith-pg-me",
            "p50",
            at_most=1.2,
        ),
    ]
    for kind in ("tokens", "credentials", "audit"):
        goals.append(
            Goal(
                f"scale_over_page_{kind}_p50",
                f"GET /api/{kind} first page p50, scale data ÷ one page",
                f"scale-{kind}",
                f"page-{kind}",
                "p50",
                at_most=1.2,
            )
        )
    goals += [
        Goal(
            "pg_2w_over_1w_token_rps",
            "token endpoint req/s, PostgreSQL, 2 workers ÷ 1",
            "tokensmith-pg-2w",
            "tokensmith-pg",
        ),
        Goal(
            "pg_2w_token_over_peer_rps",
            "token endpoint req/s, PostgreSQL 2 workers ÷ oidc-provider",
            "tokensmith-pg-2w",
            "oidc-provider",
        ),
        Goal(
            "tokensmith_over_peer_p99",
            "token endpoint p99, SQLite ÷ oidc-provider",
            "tokensmith",
            "oidc-provider",
            "p99",
        ),
        Goal("tokensmith_over_floor_rps", "token endpoint req/s, SQLite ÷ floor", "tokensmith", "floor"),
        Goal("peer_over_floor_rps", "oidc-provider ÷ floor req/s", "oidc-provider", "floor"),
    ]
    return goals


def ratios(rows: list[Row]) -> dict[str, Any]:
    """Every goal both of whose rows were measured: its ratio and whether its target was met."""
    found: dict[str, Any] = {}
    for goal in _goals():
        value = goal.value(rows)
        if value is not None:
            found[goal.name] = {"ratio": round(value, 3), "target_met": goal.met(value)}
    return found


def _cells(row: Row) -> list[str]:
    m = row.measured
    if m is None:
        return [row.label, *["-"] * 7, row.status + (f": {row.reason}" if row.reason else "")]
    failures = m.failures + (row.warmup.failures if row.warmup else 0)
    server_cpu = "-" if row.cpu is None else f"{row.cpu.server:.2f}"
    sessions = "-" if not row.database else f"{row.database['new_sessions']:,.0f}"
    wrk_cpu = "-" if row.cpu is None else f"{row.cpu.load_generator:.2f}"
    token = f"{row.token_header['alg']} {row.token_header['typ']}" if row.token_header else "-"
    return [
        row.label,
        f"{m.rps:,.0f}",
        f"{m.latency_ms['p50']:.2f}",
        f"{m.latency_ms['p99']:.2f}",
        str(failures),
        server_cpu,
        sessions,
        wrk_cpu,
        token if row.status == "ok" else f"{row.status}: {row.reason}",
    ]


def table(rows: list[Row]) -> str:
    head = [
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "non-200+err",
        "server CPU",
        "PG new conns",
        "wrk CPU",
        "token",
    ]
    body = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head) - 1)]

    def fmt(line: list[str]) -> str:
        first = line[0].ljust(widths[0])
        middle = [cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:], strict=True)]
        return "  ".join([first, *middle, line[-1]])

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths) + "  -----", *map(fmt, body)])


def ratio_lines(rows: list[Row]) -> list[str]:
    lines: list[str] = []
    for goal in _goals():
        value = goal.value(rows)
        if value is not None:
            verdict = goal.verdict(value)
            lines.append(f"{goal.text}: {value:.2f}×" + (f" ({verdict})" if verdict else ""))
    rounds = [
        f"{row.label}: {', '.join(f'{rps:,.0f}' for rps in row.round_rps)}"
        for row in rows
        if len(row.round_rps) > 1
    ]
    if rounds:
        lines += ["req/s of every round:", *(f"  {line}" for line in rounds)]
    return lines + noise_lines(rows)


def noise_lines(rows: list[Row]) -> list[str]:
    """A warning for every measurement during which other processes took CPU."""
    return [
        f"warning: other processes used {row.cpu.other:.2f} cores while {row.label} was measured; "
        "its numbers are noisy, run again on a quiet machine"
        for row in rows
        if row.cpu is not None and row.cpu.other > NOISE_CORES
    ]


def write_json(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    document = {**meta, "targets": {row.key: row_json(row) for row in rows}, "ratios": ratios(rows)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
