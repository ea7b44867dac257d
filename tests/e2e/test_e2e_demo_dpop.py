"""SDK (``dpop=True``) → Tokensmith → demo API over real sockets: a DPoP-bound token (RFC 9449) is
accepted by the demo API with the SDK's proofs, and refused there when presented as a bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from tokensmith.client import ClientCredentialsAuth
from tokensmith.core.records import Organization

if TYPE_CHECKING:
    from tests.conftest import LiveServer, MadeCredential
    from tests.e2e.conftest import DemoApi


def test_the_demo_api_accepts_a_dpop_bound_token_with_its_proofs_only(
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
) -> None:
    demo = demo_api()
    credential = make_credential(org=org, scopes=["project:read", "project:write"])
    auth = ClientCredentialsAuth(
        credential.client_id,
        credential.client_secret,
        issuer=server.url,
        scope="project:read project:write",
        dpop=True,
        clock=lambda: server.services.clock.now().timestamp(),
    )
    with httpx.Client(auth=auth, base_url=demo.url, timeout=10) as api:
        whoami = api.get("/api/whoami")
        assert whoami.status_code == 200, whoami.text
        assert whoami.json()["subject"] == credential.client_id
        created = api.post("/api/projects", json={"name": "Bound"})
        assert created.status_code == 201, created.text
    token = auth._token  # noqa: SLF001 - the bound token itself is what is tested below
    assert token is not None and token.token_type == "DPoP"
    stolen = httpx.get(f"{demo.url}/api/whoami", headers={"Authorization": f"Bearer {token.value.reveal()}"})
    assert stolen.status_code == 401
    assert stolen.json()["error"] == "invalid_token"
    forged = httpx.get(
        f"{demo.url}/api/whoami",
        headers={"Authorization": f"DPoP {token.value.reveal()}", "DPoP": "not.a.proof"},
    )
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_dpop_proof"
    assert forged.headers["www-authenticate"].startswith('DPoP realm="demo", error="invalid_dpop_proof"')
