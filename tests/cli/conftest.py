"""Run the real ``tokensmith`` command as a subprocess against the test database."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.live_serve import TOKENSMITH

#: The same master key as the shared ``settings`` fixture, so ``services`` reads what the CLI wrote.
SECRET_KEY = TEST_SECRET_KEY


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The one JSON document on stdout (json.loads fails on anything more)."""
        return json.loads(self.stdout)


@pytest.fixture
def cli(database_url: str, tmp_path: Path, log_guard: Any) -> Any:
    """``cli(*args, input=None, env=None) -> Result``: ``tokensmith ARGS`` with
    TOKENSMITH_DATABASE_URL / TOKENSMITH_SECRET_KEY set, run in a temporary directory.
    Secrets it prints are tracked by the log guard."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
        environment.update(
            {
                "TOKENSMITH_DATABASE_URL": database_url,
                "TOKENSMITH_SECRET_KEY": SECRET_KEY,
                "TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS": "0",
            }
        )
        environment.update(env or {})
        completed = subprocess.run(  # noqa: S603 - our own entry point
            [TOKENSMITH, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=environment,
            check=False,
        )
        for line in completed.stdout.splitlines():
            for word in line.replace('"', " ").split():
                if word.startswith(("tss_", "tsp_", "tsa_", "eyJ")):
                    log_guard.remember(word)
        return Result(completed.returncode, completed.stdout, completed.stderr)

    return run
