"""The management API's hot reads (``http/management/hot_reads.py``): ``GET /api/me`` and the
first page of ``GET /api/tokens``, answered before FastAPI, are byte for byte what FastAPI
answers for the same request — success, 401 and 403 alike."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.http.management import hot_reads
from tokensmith.services.container import Services

#: A query parameter FastAPI ignores, which sends the same request through FastAPI instead.
VIA_FASTAPI = {"/api/me": "/api/me?via=fastapi", "/api/tokens": "/api/tokens?limit=50"}


@pytest.fixture
def answered_fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the hot-read path answered."""
    seen: list[str] = []
    original = hot_reads.answer

    async def spy(request: Any, read: Any) -> Any:
        seen.append(request.url.path)
        return await original(request, read)

    monkeypatch.setattr(hot_reads, "answer", spy)
    return seen


def _pat(services: Services, org_id: str, scopes: list[str]) -> str:
    user = services.organizations.create_user(
        Actor.system(), f"hot-{uuid.uuid4().hex[:8]}@example.test", org_id=org_id, role=Role.MEMBER
    )
    return services.personal_tokens.create(
        Actor.system(), name="poller", scopes=scopes, org_id=org_id, user_id=user.id
    ).plain


def _same(fast: httpx.Response, slow: httpx.Response) -> None:
    assert fast.status_code == slow.status_code
    assert fast.content == slow.content
    for header in ("content-type", "www-authenticate", "retry-after", "cache-control"):
        assert fast.headers.get(header) == slow.headers.get(header), header


@pytest.mark.parametrize("path", ["/api/me", "/api/tokens"])
def test_a_hot_read_answers_what_fastapi_answers(
    path: str, client: Any, services: Services, make_org: Any, answered_fast: list[str]
) -> None:
    org = make_org()
    pat = _pat(services, org.id, ["tokens:read"])
    headers = {"Authorization": f"Bearer {pat}"}
    fast = client.get(path, headers=headers)
    slow = client.get(VIA_FASTAPI[path], headers=headers)
    assert answered_fast == [path]
    assert fast.status_code == 200
    _same(fast, slow)


@pytest.mark.parametrize("path", ["/api/me", "/api/tokens"])
def test_a_bad_token_is_refused_alike(path: str, client: Any, answered_fast: list[str]) -> None:
    headers = {"Authorization": "Bearer tsp_not-a-real-token"}
    fast = client.get(path, headers=headers)
    slow = client.get(VIA_FASTAPI[path], headers=headers)
    assert answered_fast == [path]
    assert fast.status_code == 401
    _same(fast, slow)


def test_a_missing_scope_is_refused_alike(
    client: Any, services: Services, make_org: Any, answered_fast: list[str]
) -> None:
    pat = _pat(services, make_org().id, ["project:read"])
    headers = {"Authorization": f"Bearer {pat}"}
    fast = client.get("/api/tokens", headers=headers)
    slow = client.get(VIA_FASTAPI["/api/tokens"], headers=headers)
    assert answered_fast == ["/api/tokens"]
    assert fast.status_code == 403
    _same(fast, slow)


def test_anything_but_the_plainest_request_goes_through_fastapi(
    client: Any, services: Services, make_org: Any, answered_fast: list[str]
) -> None:
    pat = _pat(services, make_org().id, ["tokens:read"])
    bearer = {"Authorization": f"Bearer {pat}"}
    assert client.get("/api/tokens?limit=1", headers=bearer).status_code == 200
    assert client.get("/api/me", headers={**bearer, "Cookie": "x=y"}).status_code == 200
    assert client.get("/api/me").status_code == 401  # no header: perhaps a dashboard session
    assert answered_fast == []
    assert client.get("/api/me", headers={**bearer, "Content-Length": "0"}).status_code == 200  # no body
    assert answered_fast == ["/api/me"]


@pytest.mark.parametrize("token_format", [TokenFormat.JWT, TokenFormat.OPAQUE])
@pytest.mark.parametrize("kind", [CredentialKind.ORGANIZATION, CredentialKind.PERSONAL])
def test_a_clients_token_is_described_alike(
    kind: CredentialKind,
    token_format: TokenFormat,
    client: Any,
    services: Services,
    make_org: Any,
    answered_fast: list[str],
) -> None:
    """``GET /api/me`` for a client's access token (the dashboard's Test API Call default)."""
    org = make_org()
    owner = services.organizations.create_user(
        Actor.system(), f"hot-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = services.credentials.create(
        Actor.system(),
        org_id=org.id,
        name="caller",
        kind=kind,
        user_id=owner.id if kind is CredentialKind.PERSONAL else None,
        token_format=token_format,
    )
    issued = client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(created.credential.client_id, created.client_secret),
    )
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    fast = client.get("/api/me", headers=headers)
    slow = client.get(VIA_FASTAPI["/api/me"], headers=headers)
    assert answered_fast == ["/api/me"]
    assert fast.status_code == 200, fast.text
    assert fast.json()["subject_type"] == "client"
    assert fast.json()["credential"]["kind"] == kind.value
    _same(fast, slow)
    # Every other hot read still refuses it, on both paths alike.
    fast = client.get("/api/tokens", headers=headers)
    slow = client.get(VIA_FASTAPI["/api/tokens"], headers=headers)
    assert fast.status_code == 401
    _same(fast, slow)
