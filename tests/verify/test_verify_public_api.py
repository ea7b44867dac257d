"""The public surface of ``tokensmith.verify`` and its independence from the server."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import tokensmith.verify


def test_public_names_are_pinned() -> None:
    assert sorted(tokensmith.verify.__all__) == [
        "DEFAULT_ALGORITHMS",
        "DEFAULT_INTROSPECTION_PREFIXES",
        "DPoPPresentation",
        "InsufficientScopeError",
        "InvalidDPoPProofError",
        "InvalidTokenError",
        "MissingTokenError",
        "Principal",
        "SubjectKind",
        "VerificationError",
        "Verifier",
        "VerifierUnavailableError",
    ]
    for name in tokensmith.verify.__all__:
        assert hasattr(tokensmith.verify, name)


BLOCKED = ["fastapi", "starlette", "sqlalchemy", "pydantic", "pydantic_settings", "alembic", "jinja2",
           "tokensmith.core", "tokensmith.settings", "tokensmith.services", "tokensmith.storage",
           "tokensmith.http", "tokensmith.web"]  # fmt: skip

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = {blocked!r}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"blocked import: {{name}}")
            return None

    sys.meta_path.insert(0, Blocker())
    import tokensmith.verify
    import tokensmith.verify.testing
    v = tokensmith.verify.Verifier("https://auth.example.test", "api")
    leaked = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
    assert not leaked, leaked
    print("ok")
    """
)


def test_imports_without_server_dependencies() -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT.format(blocked=BLOCKED)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_blocker_really_blocks() -> None:
    """The isolation test above would be worthless if the blocker let the server in."""
    script = SCRIPT.format(blocked=BLOCKED).replace("import tokensmith.verify.testing", "import starlette")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode != 0
    assert "blocked import: starlette" in result.stderr
