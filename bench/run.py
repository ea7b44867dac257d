"""``make bench``: Tokensmith's token endpoint beside the HTTP-stack floor and oidc-provider.

Run with the project's venv: ``.venv/bin/python bench/run.py [--quick] [--help]``.
"""

from __future__ import annotations

import sys

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
