"""MCP's create_credential with keys (private_key_jwt, RFC 7523 §2.2), over streamable HTTP against
uvicorn: a keyless credential has thumbprints and no secret, and its assertions get tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx

from tests.conftest import LiveServer
from tests.http.private_key_jwt_support import ClientKeyPair, assertion_form
from tests.mcp.conftest import Member, error_text, http_session, structured
from tokensmith.core.client_keys import thumbprint
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role


def _call(server: LiveServer, token: str, tool: str, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with http_session(server, token) as session:
            return await session.call_tool(tool, arguments)

    return anyio.run(run)


def test_an_admin_creates_a_keyless_credential_and_its_assertions_get_tokens(
    live_server: LiveServer, make_org: Callable[..., Organization], make_member: Callable[..., Member]
) -> None:
    admin = make_member(live_server.services, make_org(), Role.ADMIN)
    pair = ClientKeyPair()
    created = structured(
        _call(
            live_server,
            admin.token,
            "create_credential",
            {"name": "signer", "kind": "organization", "jwks": {"keys": [pair.public_jwk]}},
        )
    )
    assert created["auth_method"] == "private_key_jwt" and created["client_secret"] is None
    assert created["key_thumbprints"] == [thumbprint(pair.public_jwk)]
    token_url = live_server.url + "/oauth2/token"
    response = httpx.post(
        token_url, data=assertion_form(pair.sign(created["client_id"], token_url)), timeout=10
    )
    assert response.status_code == 200, response.text
    leaked = error_text(
        _call(
            live_server,
            admin.token,
            "create_credential",
            {"name": "leaky", "kind": "organization", "jwks": pair.private_jwk},
        )
    )
    assert "private key material" in leaked and pair.private_jwk["d"] not in leaked
