"""Run several ``tokensmith`` CLI commands in one interpreter: ``python cli_batch.py < commands.json``.

The bench provisions each database with six CLI commands; started one by one, each pays the
interpreter's and the server package's import time (seconds on a busy machine). This runs the
same Typer application, the same commands and arguments, once each, in one process, and prints
a JSON list of their standard outputs. A failing command stops the batch with its exit status.
"""

from __future__ import annotations

import json
import sys

from typer.testing import CliRunner

from tokensmith.cli.main import app


def main() -> int:
    commands: list[list[str]] = json.load(sys.stdin)
    runner = CliRunner()
    outputs: list[str] = []
    for args in commands:
        result = runner.invoke(app, args)
        if result.exit_code != 0:
            detail = result.stderr or repr(result.exception)
            sys.stderr.write(f"tokensmith {' '.join(args[:2])} failed ({result.exit_code}):\n{detail}\n")
            return result.exit_code or 1
        outputs.append(result.stdout)
    json.dump(outputs, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
