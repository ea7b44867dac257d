"""Running a rendered sample as its reader would: the command it states, in a fresh directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tokensmith.samples import Sample

#: The program each sample language needs (None: this interpreter).
REQUIRES = {
    "curl": "curl",
    "python": None,
    "python-sdk": None,
    "javascript": "node",
    "ruby": "ruby",
    "go": "go",
}


def run_sample(
    sample: Sample, workdir: Path, *, fail_in_ci: bool = False
) -> subprocess.CompletedProcess[str]:
    """Write ``sample`` to ``workdir`` and run its command there. A missing language skips the test,
    or fails it when ``fail_in_ci`` and ``CI`` is set."""
    needed = REQUIRES[sample.language_id]
    if needed is not None and shutil.which(needed) is None:
        if fail_in_ci and os.environ.get("CI"):
            pytest.fail(f"{needed} is not installed; CI must run every sample", pytrace=False)
        pytest.skip(f"{needed} is not installed")
    if sample.language_id == "curl" and shutil.which("sh") is None:  # pragma: no cover
        pytest.skip("sh is not installed")
    (workdir / sample.filename).write_text(sample.code, encoding="utf-8")
    command = sample.run_command.split()
    if command[0] == "python3":
        command[0] = sys.executable  # the SDK sample needs this venv's tokensmith
    env = {**os.environ, "HOME": os.environ.get("HOME", str(workdir))}
    return subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, cwd=workdir, env=env, timeout=180, check=False
    )
