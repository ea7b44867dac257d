"""Installing what the bench needs beyond the venv: ``wrk`` (Debian) and the node peer (npm)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
PEER_DIR = BENCH_DIR / "peer"


class ToolError(RuntimeError):
    """A tool the bench needs is missing and could not be installed."""


def _run(argv: list[str], cwd: Path | None = None) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ToolError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-2000:]}")


def ensure_wrk() -> str:
    """Return the path of ``wrk``, installing Debian's package first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise ToolError("wrk is not installed; run: sudo apt-get update && sudo apt-get install -y wrk")
    print("bench: installing wrk (apt-get)…", file=sys.stderr)
    _run(["apt-get", "update", "-qq"])
    _run(["apt-get", "install", "-y", "-qq", "wrk"])
    found = shutil.which("wrk")
    if not found:
        raise ToolError("apt-get installed wrk but it is not on PATH")
    return found


def ensure_peer() -> None:
    """Install the peer's pinned npm dependencies when ``node_modules`` is missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise ToolError("node and npm are needed for the oidc-provider peer (apt-get install nodejs npm)")
    if (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    print("bench: installing the oidc-provider peer (npm ci)…", file=sys.stderr)
    _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR)


def _command_version(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode in (0, 1) else "?"


def _npm_package_version(name: str) -> str:
    manifest = PEER_DIR / "node_modules" / name / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def versions() -> dict[str, str]:
    """Versions of everything measured, for the results file."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {"python": sys.version.split()[0]}
    for dist in ("uvicorn", "starlette", "fastapi", "uvloop", "httptools", "tokensmith"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "-"
    found["node"] = _command_version(["node", "--version"])
    found["oidc-provider"] = _npm_package_version("oidc-provider")
    found["wrk"] = _command_version(["wrk", "--version"]).split(" [")[0]
    return found
