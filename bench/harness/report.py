"""The results: one row per target, the ratios the product target is judged on, and JSON.

The product target (Tokensmith ≥ 1.3× oidc-provider's throughput with a lower p99) is
reported, never asserted: the run's exit status only reflects correctness.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.loadgen import LoadResult
from harness.machine import CpuUse

THROUGHPUT_TARGET = 1.3
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
        "round_rps": row.round_rps,
    }


def _measured(rows: list[Row], key: str) -> LoadResult | None:
    row = next((r for r in rows if r.key == key), None)
    return row.measured if row is not None and row.status == "ok" else None


def ratios(rows: list[Row]) -> dict[str, Any]:
    """Tokensmith against the peer and the floor, when both sides were measured."""
    ours, peer, floor = (_measured(rows, k) for k in ("tokensmith", "oidc-provider", "floor"))
    found: dict[str, Any] = {}
    if ours and peer:
        found["tokensmith_over_peer_rps"] = round(ours.rps / peer.rps, 3)
        found["tokensmith_over_peer_p99"] = round(ours.latency_ms["p99"] / peer.latency_ms["p99"], 3)
        found["target_met"] = (
            ours.rps >= THROUGHPUT_TARGET * peer.rps and ours.latency_ms["p99"] < peer.latency_ms["p99"]
        )
    if ours and floor:
        found["tokensmith_over_floor_rps"] = round(ours.rps / floor.rps, 3)
    if peer and floor:
        found["peer_over_floor_rps"] = round(peer.rps / floor.rps, 3)
    management = _measured(rows, "tokensmith-mgmt")
    if management and floor:
        found["management_over_floor_rps"] = round(management.rps / floor.rps, 3)
    return found


def _cells(row: Row) -> list[str]:
    m = row.measured
    if m is None:
        return [row.label, *["-"] * 6, row.status + (f": {row.reason}" if row.reason else "")]
    failures = m.failures + (row.warmup.failures if row.warmup else 0)
    server_cpu = "-" if row.cpu is None else f"{row.cpu.server:.2f}"
    wrk_cpu = "-" if row.cpu is None else f"{row.cpu.load_generator:.2f}"
    token = f"{row.token_header['alg']} {row.token_header['typ']}" if row.token_header else "-"
    return [
        row.label,
        f"{m.rps:,.0f}",
        f"{m.latency_ms['p50']:.2f}",
        f"{m.latency_ms['p99']:.2f}",
        str(failures),
        server_cpu,
        wrk_cpu,
        token if row.status == "ok" else f"{row.status}: {row.reason}",
    ]


def table(rows: list[Row]) -> str:
    head = ["target", "req/s", "p50 ms", "p99 ms", "non-200+err", "server CPU", "wrk CPU", "token"]
    body = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head) - 1)]

    def fmt(line: list[str]) -> str:
        first = line[0].ljust(widths[0])
        middle = [cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:], strict=True)]
        return "  ".join([first, *middle, line[-1]])

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths) + "  -----", *map(fmt, body)])


def ratio_lines(rows: list[Row]) -> list[str]:
    found = ratios(rows)
    ours, peer = _measured(rows, "tokensmith"), _measured(rows, "oidc-provider")
    lines: list[str] = []
    if ours and peer:
        lower = "lower" if ours.latency_ms["p99"] < peer.latency_ms["p99"] else "NOT lower"
        verdict = "met" if found["target_met"] else "NOT met"
        lines += [
            f"Tokensmith ÷ oidc-provider throughput: {found['tokensmith_over_peer_rps']:.2f}×",
            f"p99: Tokensmith {ours.latency_ms['p99']:.2f} ms vs oidc-provider "
            f"{peer.latency_ms['p99']:.2f} ms ({lower}; ratio {found['tokensmith_over_peer_p99']:.2f}×)",
            f"product target (≥ {THROUGHPUT_TARGET}× oidc-provider's req/s with a lower p99): {verdict}",
        ]
    if "tokensmith_over_floor_rps" in found:
        lines.append(f"Tokensmith ÷ floor throughput: {found['tokensmith_over_floor_rps']:.2f}×")
    if "peer_over_floor_rps" in found:
        lines.append(f"oidc-provider ÷ floor throughput: {found['peer_over_floor_rps']:.2f}×")
    if "management_over_floor_rps" in found:
        management = found["management_over_floor_rps"]
        lines.append(f"Tokensmith GET /api/tokens ÷ floor throughput: {management:.2f}×")
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
