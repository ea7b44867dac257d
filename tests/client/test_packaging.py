"""The SDK installs without the server: it imports nothing from it, and its public surface is pinned."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import tokensmith.client

CLIENT_DIR = Path(tokensmith.client.__file__).parent

BLOCKED = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "typer",
    "uvicorn",
    "jinja2",
    "redis",
    "limits",
    "argon2",
    "mcp",
    "psycopg",
    "tokensmith.settings",
    "tokensmith.core",
    "tokensmith.services",
    "tokensmith.storage",
    "tokensmith.http",
    "tokensmith.web",
    "tokensmith.dashboard",
    "tokensmith.mcp",
    "tokensmith.cli",
    "tokensmith.demo",
    "tokensmith.verify",
)

# Runs in a fresh interpreter: any import of a server package fails, then the SDK is imported and used.
PROBE = textwrap.dedent(
    """
    import sys

    BLOCKED = {blocked!r}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"blocked: {{name}}")
            return None

    sys.meta_path.insert(0, Blocker())

    import httpx
    import tokensmith.client as sdk

    def handler(request):
        if request.url.path == "/oauth2/token":
            body = {{"access_token": "at", "token_type": "Bearer", "expires_in": 60}}
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={{"auth": request.headers["Authorization"]}})

    auth = sdk.ClientCredentialsAuth("id", "secret", token_url="https://a.test/oauth2/token")
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert client.get("https://api.test/").json() == {{"auth": "Bearer at"}}
    sdk.ManagementClient("https://a.test", sdk.PersonalTokenAuth("tsp_x")).close()

    loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
    assert loaded == [], loaded
    print("ok")
    """
)


def test_the_sdk_imports_and_works_with_the_server_packages_blocked() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own script
        [sys.executable, "-c", PROBE.format(blocked=BLOCKED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stderr == ""
    assert result.stdout == "ok\n"
    assert result.returncode == 0


def test_the_blocker_really_blocks() -> None:
    # The probe must be able to fail: importing a server module under it raises.
    probe = PROBE.format(blocked=BLOCKED).replace(
        "import tokensmith.client as sdk", "import tokensmith.core.errors"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "ImportError: blocked: tokensmith.core" in result.stderr


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


#: The one SDK module that signs (private_key_jwt) may use the base install's JOSE library too.
SIGNING_MODULES = {"private_key_jwt_auth.py"}


def test_every_import_is_stdlib_httpx_anyio_or_the_sdk_itself() -> None:
    # cryptography is a base dependency (like PyJWT, for the verifier): DPoP proofs are signed with it.
    allowed_third_party = {"httpx", "anyio", "cryptography"}
    offending = {
        f"{path.name}: {name}"
        for path in sorted(CLIENT_DIR.glob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0]
        not in allowed_third_party | ({"jwt", "cryptography"} if path.name in SIGNING_MODULES else set())
        and name != "tokensmith"
        and not name.startswith("tokensmith.client")
        and name != "__future__"
    }
    assert offending == set()


def test_the_public_surface_is_pinned() -> None:
    assert tokensmith.client.__all__ == [
        "ApiError",
        "AsyncManagementClient",
        "AuthenticationError",
        "AuthorizationError",
        "AuthorizationTokens",
        "AuthorizedApp",
        "Backoff",
        "BadRequestError",
        "ClientCredentialsAuth",
        "ClientMe",
        "ConflictError",
        "CreatedCredential",
        "CreatedPersonalToken",
        "CreatedWebhookEndpoint",
        "Credential",
        "CredentialKind",
        "CredentialRef",
        "DPoPKey",
        "DiscoveryError",
        "LoopbackAuthorization",
        "ManagementClient",
        "Me",
        "NotFoundError",
        "Organization",
        "Page",
        "PermissionDeniedError",
        "PersonalToken",
        "PersonalTokenAuth",
        "PrivateKeyJwtAuth",
        "RateLimitedError",
        "Resource",
        "ResponseFormatError",
        "ServiceUnavailableError",
        "TokenFormat",
        "TokenRequestError",
        "TokensmithClientError",
        "User",
        "WebhookDelivery",
        "WebhookEndpoint",
        "WebhookEventType",
    ]
    for name in tokensmith.client.__all__:
        assert getattr(tokensmith.client, name) is not None


def test_the_error_hierarchy() -> None:
    from tokensmith.client import (
        ApiError,
        DiscoveryError,
        NotFoundError,
        ResponseFormatError,
        TokenRequestError,
        TokensmithClientError,
    )

    for cls in (ApiError, DiscoveryError, ResponseFormatError, TokenRequestError):
        assert issubclass(cls, TokensmithClientError)
    assert issubclass(NotFoundError, ApiError)
