"""``make bench``: measure each target alone, pinned, warmed up, with the same load, and report.

Every target runs the same way: prepare it in a fresh temporary directory, start its one
server process on the server core, wait until it answers, check one sample response (and its
JWT), warm up, measure, check the server is still alive, stop it by PID. Only then does the
next target start, so no two servers ever share the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import checks, machine, postgres, procs, report, scale, tools, verifier
from harness.loadgen import LoadResult, LoadSettings, run_wrk
from harness.targets import Context, Prepared, Target, all_targets

DEFAULT_OUTPUT = tools.BENCH_DIR / "results" / "latest.json"


def parse_args(argv: list[str]) -> argparse.Namespace:
    targets = all_targets()
    keys = [t.key for t in targets]
    usual = [t.key for t in targets if not t.scale]
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument("--duration", type=float, help="measured seconds per target (10; --quick 3)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per target (3; --quick 1)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads, on the load core (1)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every target N times, interleaved; report the median (1)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 s warm-up, 3 s measured")
    parser.add_argument(
        "--targets", help=f"comma-separated subset of {keys} (default: every row but the scale rows)"
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="also measure the scale rows (200,000 personal tokens, 50,000 credentials on PostgreSQL)",
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="core the server is pinned to (0)")
    parser.add_argument("--load-cpu", type=int, default=1, help="core wrk is pinned to (1)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON path")
    parser.add_argument(
        "--verifier-iterations",
        type=int,
        help="verifications per round of the in-process verifier benchmark (2000; --quick 500)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-verifier", action="store_true", help="skip the verifier benchmark")
    which.add_argument("--verifier-only", action="store_true", help="run only the verifier benchmark")
    args = parser.parse_args(argv)
    if args.verifier_iterations is None:
        args.verifier_iterations = 500 if args.quick else 2000
    if args.duration is None:
        args.duration = 3.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 3.0
    if args.targets is None:
        args.targets = ",".join(keys if args.scale else usual)
    elif args.scale:
        args.targets += "," + ",".join(t.key for t in targets if t.scale)
    unknown = set(args.targets.split(",")) - set(keys)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; choose from {keys}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.verifier_iterations < 1:
        parser.error("--verifier-iterations must be at least 1")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    return args


def _pinning(args: argparse.Namespace) -> tuple[int | None, int | None]:
    if args.no_pin:
        return None, None
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        print("bench: fewer than 2 cores available; running unpinned", file=sys.stderr)
        return None, None
    return args.server_cpu, args.load_cpu


def _check_sample(ctx: Context, prepared: Prepared) -> dict[str, Any] | None:
    """One request (with a fresh proof on a DPoP row): 200, the expected members, and the
    token's header when it is a token row."""
    spec = prepared.request if prepared.proofs is None else prepared.proofs.sample(prepared.request)
    response = checks.sample_response(ctx.base_url, spec)
    checks.expect_members(response, prepared.expect)
    if prepared.token is None:
        return None
    return checks.verify_access_token(ctx.base_url, response, prepared.token)


def _pools(
    ctx: Context, prepared: Prepared, args: argparse.Namespace, rates: dict[str, float]
) -> tuple[Path | None, Path | None]:
    """The warm-up's and the measurement's header pools (fresh DPoP proofs), or none."""
    if prepared.proofs is None:
        return None, None
    return prepared.proofs.pools(ctx.workdir, (args.warmup, args.duration), rates.get(prepared.proofs.like))


def _measure_with_cpu(
    server: procs.Server,
    ctx: Context,
    prepared: Prepared,
    seconds: float,
    load: LoadSettings,
    pool: Path | None = None,
) -> tuple[LoadResult, machine.CpuUse, dict[str, float] | None]:
    watch = ctx.postgres is not None and prepared.database == "postgresql"
    stats = ctx.postgres.activity() if watch and ctx.postgres else None
    before = machine.snapshot(server.pid)
    result = run_wrk(ctx.base_url, prepared.request, seconds, load, pool)
    cpu = machine.cpu_use(before, machine.snapshot(server.pid))
    if stats is None or ctx.postgres is None:
        return result, cpu, None
    return result, cpu, postgres.per_request(stats, ctx.postgres.activity(), result.requests)


def _failures(row: report.Row) -> str:
    counted = [(name, r) for name, r in (("warm-up", row.warmup), ("measured", row.measured)) if r]
    bad = [
        f"{name}: {r.non_200} non-200, socket errors {r.socket_errors}"
        + (f", {r.pool_exhausted} requests after the proof pool ran dry" if r.pool_exhausted else "")
        + (f" (first: {r.first_non_200[:160]})" if r.first_non_200 else "")
        for name, r in counted
        if r.failures
    ]
    return "; ".join(bad)


def run_target(
    target: Target,
    args: argparse.Namespace,
    workdir: Path,
    database: postgres.BenchDatabase | None = None,
    shared: dict[str, Any] | None = None,
    rates: dict[str, float] | None = None,
) -> report.Row:
    """Prepare, start, check, warm up, measure and stop one target. ``rates``: the latest req/s of
    the rows measured so far (a DPoP row sizes its proof pools from its bearer row's)."""
    row = report.Row(target.key, target.label)
    reason = target.unavailable()
    if reason:
        row.status, row.reason = "skipped", reason
        return row
    server_cpu, load_cpu = _pinning(args)
    load = LoadSettings(connections=args.connections, threads=args.threads, cpu=load_cpu)
    schema = workdir.name.replace("-", "_")
    shared = {} if shared is None else shared
    ctx = Context(procs.free_port(), workdir, database, schema, shared, args.warmup + args.duration)
    ctx.workdir.mkdir()
    print(f"bench: {target.label} on {ctx.base_url}", file=sys.stderr)
    try:
        prepared = target.prepare(ctx)
    except (RuntimeError, OSError, ValueError) as error:
        row.status, row.reason = "failed", "prepare: " + (str(error).strip().splitlines() or ["?"])[0]
        print(f"bench: {target.label} could not be prepared:\n{error}", file=sys.stderr)
        return row
    cpus: int | str | None = server_cpu
    if prepared.spread and server_cpu is not None:
        cpus = f"{server_cpu},{load_cpu}"
    argv = procs.pinned(prepared.argv, cpus)
    server = procs.start(target.key, argv, prepared.env, prepared.cwd, workdir)
    try:
        procs.wait_ready(server, ctx.base_url + prepared.ready_path)
        row.token_header = _check_sample(ctx, prepared)
        warmup_pool, measured_pool = _pools(ctx, prepared, args, rates or {})
        row.warmup = run_wrk(ctx.base_url, prepared.request, args.warmup, load, warmup_pool)
        row.measured, row.cpu, row.database = _measure_with_cpu(
            server, ctx, prepared, args.duration, load, measured_pool
        )
        server.assert_running()
        _check_sample(ctx, prepared)
        bad = _failures(row)
        if bad:
            row.status, row.reason = "failed", bad
    except (checks.CheckError, procs.ServerError, RuntimeError, OSError) as error:
        row.status, row.reason = "failed", str(error).strip().splitlines()[0]
        print(
            f"bench: {target.label} failed:\n{error}\n--- server log ---\n{server.log_tail()}",
            file=sys.stderr,
        )
    finally:
        procs.stop(server)
    return row


def run_rounds(
    selected: list[Target],
    args: argparse.Namespace,
    database: postgres.BenchDatabase | None = None,
    shared: dict[str, Any] | None = None,
) -> list[report.Row]:
    """Every target once per round, one after the other, so slow drifts hit them all alike; the
    order rotates by one place each round, so that no row always runs in the same position (right
    after the same neighbour, or first after a round's set-up) and a ratio of two rows is not a
    ratio of their places. A DPoP row sizes its proof pools from the latest rate of its bearer row
    (this round's, else the previous round's)."""
    by_target: dict[str, list[report.Row]] = {target.key: [] for target in selected}
    shared = {} if shared is None else shared
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tokensmith-bench-") as tmp:
        for number in range(1, args.rounds + 1):
            shift = (number - 1) % len(selected)
            for target in selected[shift:] + selected[:shift]:
                workdir = Path(tmp) / f"{target.key}-{number}"
                pg = database if target.postgres else None
                row = run_target(target, args, workdir, pg, shared, rates)
                by_target[target.key].append(row)
                if row.measured is not None:
                    rates[target.key] = row.measured.rps
    return [report.combine(rounds) for rounds in by_target.values()]


def _git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=tools.BENCH_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "?"


def _meta(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    server_cpu, load_cpu = _pinning(args)
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["bench/run.py", *argv]),
        "git_commit": _git_commit(),
        "config": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "rounds": args.rounds,
            "server_cpu": server_cpu,
            "load_cpu": load_cpu,
            "host": "127.0.0.1",
        },
        "versions": tools.versions(),
    }


def _prepare_tools(selected: list[Target]) -> None:
    tools.ensure_wrk()
    if any(t.key == "oidc-provider" for t in selected):
        tools.ensure_peer()


def _interrupted(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _bench_database(selected: list[Target]) -> Iterator[postgres.BenchDatabase | None]:
    """The run's PostgreSQL database when a PostgreSQL row will run; dropped on the way out."""
    if not any(t.postgres and t.unavailable() is None for t in selected):
        yield None
        return
    with postgres.BenchDatabase() as database:
        yield database


def _scale_report(shared: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    """What the data-filled schemas held and how their lists' first pages were planned."""
    lines: list[str] = []
    meta["data"] = {}
    facts = shared.pop("postgresql", None)
    if facts:
        meta["postgresql"] = facts
        lines.append(
            f"PostgreSQL at the start: {facts['connections_in_use']} of max_connections "
            f"{facts['max_connections']} in use by other clients"
        )
    for schema, made in sorted(shared.items()):
        loaded = made.loaded or {}
        meta["data"][schema] = loaded
        rows = ", ".join(f"{table} {count:,}" for table, count in loaded.get("rows", {}).items())
        lines.append(f"{loaded.get('sizes')} data ({rows}; COPY + VACUUM ANALYZE {loaded.get('load_s')} s)")
        tiny = loaded.get("sizes") != scale.LARGE.label
        lines += scale.explain_lines(str(loaded.get("sizes")), loaded.get("explain", []), tiny)
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    wanted = [] if args.verifier_only else args.targets.split(",")
    selected = [t for t in all_targets() if t.key in wanted]
    try:
        if selected:
            _prepare_tools(selected)
    except tools.ToolError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    shared: dict[str, Any] = {}
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        with _bench_database(selected) as database:
            if database is not None:
                facts = database.server_facts()
                shared["postgresql"] = facts
                print(
                    f"bench: PostgreSQL rows use database {database.name} (dropped at the end); "
                    f"{facts['connections_in_use']} of max_connections {facts['max_connections']} in use",
                    file=sys.stderr,
                )
            rows = run_rounds(selected, args, database, shared)
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped, bench database dropped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    meta = _meta(args, argv)
    scale_lines = _scale_report(shared, meta)
    verified = None
    if not args.no_verifier:
        print("bench: verifier (in-process)", file=sys.stderr)
        verified = verifier.measure(args.verifier_iterations, max(5, args.rounds), _pinning(args)[0])
        meta["verifier"] = verified.as_json()
    report.write_json(args.output, rows, meta)
    cfg = meta["config"]
    if selected:
        print(
            f"\n{len(selected)} targets, each alone: {cfg['connections']} connections, "
            f"{cfg['warmup_s']:g} s warm-up + {cfg['duration_s']:g} s measured, "
            f"wrk threads {cfg['wrk_threads']}, {cfg['rounds']} round(s) (median shown); "
            f"server on core {cfg['server_cpu']}, wrk on core {cfg['load_cpu']}\n"
        )
        print(report.table(rows))
        lines = report.ratio_lines(rows)
        if lines:
            print("\n" + "\n".join(lines))
    if scale_lines:
        print("\n" + "\n".join(scale_lines))
    if verified is not None:
        print("\n" + "\n".join(verifier.lines(verified)))
    print(f"\nresults: {args.output}")
    return 1 if any(row.status == "failed" for row in rows) else 0
