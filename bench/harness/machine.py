"""Where the CPU went during a measurement: the server, wrk, and anything else on the machine.

Other engineers' test runs share this machine; a measurement during which other processes
used CPU is flagged rather than trusted silently.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from harness.procs import cpu_seconds

_TICK = float(os.sysconf("SC_CLK_TCK"))


def _process_ticks() -> float:
    """User + nice + system time of every core, in seconds (irq and softirq left out)."""
    line = Path("/proc/stat").read_text().splitlines()[0].split()
    user, nice, system = (int(value) for value in line[1:4])
    return (user + nice + system) / _TICK


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Snapshot:
    wall: float
    machine: float
    server: float
    reaped_children: float


@dataclass(frozen=True)
class CpuUse:
    """Cores busy on average: the server, the load generator, and everything else."""

    server: float
    load_generator: float
    other: float


def snapshot(server_pid: int) -> Snapshot:
    return Snapshot(time.monotonic(), _process_ticks(), cpu_seconds(server_pid), _children_seconds())


def cpu_use(before: Snapshot, after: Snapshot) -> CpuUse:
    """Average cores used between two snapshots (wrk, a reaped child, counts once it exits)."""
    wall = after.wall - before.wall
    server = (after.server - before.server) / wall
    load = (after.reaped_children - before.reaped_children) / wall
    machine = (after.machine - before.machine) / wall
    return CpuUse(server=server, load_generator=load, other=max(0.0, machine - server - load))
