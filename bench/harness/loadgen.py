"""wrk runs: one request spec, fixed connections and duration, latency percentiles, non-200 count.

The Lua script sets the request, counts every response whose status is not 200 per wrk thread,
and prints one JSON line from ``done()`` that this module parses. With a pool (a file of header
values, one a line; the DPoP row's proofs), every request carries the next unused value of the
pool's header: wrk thread *k* of *n* takes lines *k*, *k + n*, … so no two requests share one,
and a pool that runs dry is counted (``pool_exhausted``), which fails the row. wrk is closed-loop (each
connection sends its next request when the previous answer arrives), the same for every target.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.procs import pinned

_MARKER = "BENCH_JSON "
_FIRST = "BENCH_FIRST_NON_200 "

_LUA_COUNTERS = r"""
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  non_200 = 0
  first_non_200 = ""
  pool_exhausted = 0
  pool = {}
  pool_next = 1
  if POOL_PATH ~= "" then
    local line_number = 0
    for line in io.lines(POOL_PATH) do
      if line_number % POOL_THREADS == thread_index then
        table.insert(pool, line)
      end
      line_number = line_number + 1
    end
  end
end

-- wrk builds each request anew only when a global request() exists once the script is loaded.
if POOL_PATH ~= "" then
  function request()
    local value = pool[pool_next]
    if value == nil then
      pool_exhausted = pool_exhausted + 1
      value = pool[#pool] or ""
    else
      pool_next = pool_next + 1
    end
    wrk.headers[POOL_HEADER] = value
    return wrk.format()
  end
end

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
    if first_non_200 == "" then
      first_non_200 = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local non_200_total = 0
  local exhausted_total = 0
  local first = ""
  for _, thread in ipairs(threads) do
    non_200_total = non_200_total + thread:get("non_200")
    exhausted_total = exhausted_total + thread:get("pool_exhausted")
    if first == "" then
      first = thread:get("first_non_200") or ""
    end
  end
  io.write("BENCH_FIRST_NON_200 " .. string.gsub(first, "\n", " ") .. "\n")
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "bytes": %d, "non_200": %d, "pool_exhausted": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    "MARKER", summary.requests, summary.duration, summary.bytes, non_200_total, exhausted_total,
    e.connect, e.read, e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class RequestSpec:
    """The one request a target is loaded with."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    #: A header whose value comes from a pool file, a fresh one per request ("" for none).
    pool_header: str = ""


@dataclass(frozen=True)
class LoadSettings:
    connections: int
    threads: int
    cpu: int | None


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    non_200: int
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]
    #: Status and start of the body of the first response that was not 200 ("" when none).
    first_non_200: str = ""
    #: Requests sent after the header pool ran dry (each reused the pool's last value).
    pool_exhausted: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def failures(self) -> int:
        return self.non_200 + sum(self.socket_errors.values()) + self.pool_exhausted


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII text


def lua_script(spec: RequestSpec, pool: Path | None = None, threads: int = 1) -> str:
    if (pool is None) != (not spec.pool_header):
        raise ValueError(f"{spec.path}: a pool needs a pool header and a pool header a pool")
    lines = [f"wrk.method = {_lua_string(spec.method)}", f"wrk.body = {_lua_string(spec.body)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in spec.headers.items()]
    lines += [
        f"POOL_PATH = {_lua_string(str(pool or ''))}",
        f"POOL_HEADER = {_lua_string(spec.pool_header)}",
        f"POOL_THREADS = {threads}",
    ]
    return "\n".join(lines) + _LUA_COUNTERS.replace('"MARKER"', _lua_string(_MARKER))


def _parse(stdout: str) -> LoadResult:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result line:\n{stdout[-2000:]}")
    raw = json.loads(line[len(_MARKER) :])
    return LoadResult(
        requests=raw["requests"],
        duration_s=raw["duration_us"] / 1e6,
        non_200=raw["non_200"],
        pool_exhausted=raw["pool_exhausted"],
        socket_errors=raw["socket_errors"],
        latency_ms={name: us / 1000 for name, us in raw["latency_us"].items()},
        first_non_200=next(
            (ln[len(_FIRST) :].strip() for ln in stdout.splitlines() if ln.startswith(_FIRST)), ""
        ),
    )


def run_wrk(
    base_url: str, spec: RequestSpec, seconds: float, load: LoadSettings, pool: Path | None = None
) -> LoadResult:
    """Load ``base_url + spec.path`` for ``seconds`` and return what wrk measured; ``pool``: the
    file of ``spec.pool_header`` values, one per request."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(lua_script(spec, pool, load.threads))
        script.flush()
        argv = [
            "wrk",
            f"--threads={load.threads}",
            f"--connections={load.connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            "--latency",
            f"--script={script.name}",
            base_url + spec.path,
        ]
        result = subprocess.run(
            pinned(argv, load.cpu), capture_output=True, text=True, check=False, timeout=seconds + 60
        )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return _parse(result.stdout)
