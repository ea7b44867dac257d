"""The management API clients: requests on the wire, parsed models, RFC 9457 errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tokensmith.client import (
    ApiError,
    AsyncManagementClient,
    BadRequestError,
    CreatedCredential,
    CreatedPersonalToken,
    Credential,
    ManagementClient,
    Me,
    NotFoundError,
    Organization,
    PermissionDeniedError,
    PersonalToken,
    PersonalTokenAuth,
    ResponseFormatError,
    User,
)

BASE = "https://tokensmith.example.test"
PAT = "tsp_5Ks9dLq2VxR7mB3nW8cT1yF4hJ6pZ0aE2gU9iO"
NEW_TOKEN = "tsp_Q8wE3rT5yU7iO9pA1sD3fG5hJ7kL9zX1cV3bN5m"
NEW_SECRET = "tss_M2nB4vC6xZ8aS0dF2gH4jK6lQ8wE0rT2yU4iO6p"

TOKEN_JSON: dict[str, Any] = {
    "id": "tok_1",
    "name": "ci",
    "description": "",
    "scopes": ["api/access", "tokens:read"],
    "token_hint": "tsp_…5m",
    "org_id": "org_1",
    "user_id": "usr_1",
    "created_at": "2026-01-01T00:00:00Z",
    "expires_at": "2026-01-31T00:00:00Z",
    "last_used_at": None,
    "revoked_at": None,
}
CREDENTIAL_JSON: dict[str, Any] = {
    "id": "cred_1",
    "client_id": "k7x2m4p9q3r8s5t6v1w0y2z4ab",
    "kind": "organization",
    "name": "billing",
    "description": "nightly export",
    "org_id": "org_1",
    "user_id": None,
    "scopes": ["api/access"],
    "token_format": "jwt",
    "token_ttl": 3600,
    "secret_hint": "tss_…6p",
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-02T00:00:00+00:00",
    "last_used_at": None,
    "previous_secret_expires_at": None,
    "auth_method": "client_secret",
    "key_thumbprints": [],
    "jwks_uri": None,
    "require_dpop": False,
    "a_future_field": {"ignored": True},
}
EXPECTED_TOKEN = PersonalToken(
    id="tok_1",
    name="ci",
    description="",
    scopes=("api/access", "tokens:read"),
    token_hint="tsp_…5m",
    org_id="org_1",
    user_id="usr_1",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    expires_at=datetime(2026, 1, 31, tzinfo=UTC),
    last_used_at=None,
    revoked_at=None,
)


class FakeApi:
    """Answers each request with the next scripted response, recording what was sent."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)

    def client(self) -> ManagementClient:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return ManagementClient(BASE, PersonalTokenAuth(PAT), http_client=http)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def problem(status: int, code: str, title: str, detail: str | None = None) -> httpx.Response:
    body = {"type": f"https://tokensmith.dev/problems/{code}", "title": title, "status": status, "code": code}
    if detail is not None:
        body["detail"] = detail
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def test_me() -> None:
    api = FakeApi(
        httpx.Response(
            200,
            json={
                "user": {"id": "usr_1", "email": "ada@example.test"},
                "org": {"id": "org_1", "name": "Acme"},
                "role": "admin",
                "scopes": None,
                "auth": "personal_token",
                "subject_type": "user",
            },
        )
    )
    assert api.client().me() == Me(
        user=User(id="usr_1", email="ada@example.test"),
        org=Organization(id="org_1", name="Acme"),
        role="admin",
        scopes=None,
        auth="personal_token",
        subject_type="user",
    )
    request = api.requests[0]
    assert (request.method, str(request.url)) == ("GET", f"{BASE}/api/me")
    assert request.headers["Authorization"] == f"Bearer {PAT}"
    assert request.headers["Accept"] == "application/json"


def test_list_tokens_reads_a_page() -> None:
    api = FakeApi(httpx.Response(200, json={"items": [TOKEN_JSON], "next_cursor": "c2"}))
    page = api.client().list_tokens(expiring_within=timedelta(days=7), limit=10)
    assert page.items == (EXPECTED_TOKEN,)
    assert page.next_cursor == "c2"
    assert list(page) == [EXPECTED_TOKEN]
    assert str(api.requests[0].url) == f"{BASE}/api/tokens?limit=10&expiring_within=604800"


def test_iter_tokens_follows_the_cursor() -> None:
    second = {**TOKEN_JSON, "id": "tok_2"}
    api = FakeApi(
        httpx.Response(200, json={"items": [TOKEN_JSON], "next_cursor": "c2"}),
        httpx.Response(200, json={"items": [second], "next_cursor": None}),
    )
    assert [t.id for t in api.client().iter_tokens(page_size=1)] == ["tok_1", "tok_2"]
    assert [str(r.url) for r in api.requests] == [
        f"{BASE}/api/tokens?limit=1",
        f"{BASE}/api/tokens?limit=1&cursor=c2",
    ]


def test_a_repeated_cursor_stops_the_iteration() -> None:
    page = httpx.Response(200, json={"items": [], "next_cursor": "same"})
    api = FakeApi(page, httpx.Response(200, json={"items": [], "next_cursor": "same"}))
    with pytest.raises(ResponseFormatError, match="the server returned the same cursor twice"):
        list(api.client().iter_tokens())


def test_create_token_shows_the_token_once_and_keeps_it_out_of_repr() -> None:
    api = FakeApi(httpx.Response(201, json={**TOKEN_JSON, "token": NEW_TOKEN}))
    created = api.client().create_token("ci", ["api/access"], description="for CI", expires_in_days=30)
    assert isinstance(created, CreatedPersonalToken)
    assert created.token == NEW_TOKEN
    assert created.id == "tok_1"
    assert NEW_TOKEN not in repr(created)
    assert api.body() == {
        "name": "ci",
        "scopes": ["api/access"],
        "description": "for CI",
        "expires_in_days": 30,
    }
    assert (api.requests[0].method, api.requests[0].url.path) == ("POST", "/api/tokens")


def test_create_token_with_an_expiry_time() -> None:
    api = FakeApi(httpx.Response(201, json={**TOKEN_JSON, "token": NEW_TOKEN}))
    api.client().create_token("ci", ["api/access"], expires_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert api.body() == {"name": "ci", "scopes": ["api/access"], "expires_at": "2026-03-01T00:00:00+00:00"}


def test_get_update_and_revoke_a_token() -> None:
    api = FakeApi(
        httpx.Response(200, json=TOKEN_JSON),
        httpx.Response(200, json={**TOKEN_JSON, "name": "renamed"}),
        httpx.Response(204),
    )
    client = api.client()
    assert client.get_token("tok_1") == EXPECTED_TOKEN
    assert client.update_token("tok_1", name="renamed").name == "renamed"
    client.revoke_token("tok/1")
    assert [(r.method, r.url.raw_path) for r in api.requests] == [
        ("GET", b"/api/tokens/tok_1"),
        ("PATCH", b"/api/tokens/tok_1"),
        ("DELETE", b"/api/tokens/tok%2F1"),
    ]
    assert api.body(1) == {"name": "renamed"}


def test_update_token_needs_something_to_change() -> None:
    with pytest.raises(ValueError, match="give a name or a description to change"):
        FakeApi().client().update_token("tok_1")


def test_credentials_round_trip() -> None:
    created_json = {**CREDENTIAL_JSON, "client_secret": NEW_SECRET}
    api = FakeApi(
        httpx.Response(201, json=created_json),
        httpx.Response(200, json={"items": [CREDENTIAL_JSON], "next_cursor": None}),
        httpx.Response(200, json=CREDENTIAL_JSON),
        httpx.Response(200, json={**CREDENTIAL_JSON, "name": "exports"}),
        httpx.Response(200, json={**created_json, "previous_secret_expires_at": "2026-01-01T01:00:00Z"}),
        httpx.Response(204),
    )
    client = api.client()

    created = client.create_credential(
        "billing", "organization", scopes=["api/access"], token_format="opaque", token_ttl=600
    )
    assert isinstance(created, CreatedCredential)
    assert created.client_secret == NEW_SECRET
    assert NEW_SECRET not in repr(created)
    assert api.body(0) == {
        "name": "billing",
        "kind": "organization",
        "scopes": ["api/access"],
        "token_format": "opaque",
        "token_ttl": 600,
    }

    page = client.list_credentials(kind="organization")
    assert page.items[0] == Credential(
        id="cred_1",
        client_id="k7x2m4p9q3r8s5t6v1w0y2z4ab",
        kind="organization",
        name="billing",
        description="nightly export",
        org_id="org_1",
        user_id=None,
        scopes=("api/access",),
        token_format="jwt",
        token_ttl=3600,
        secret_hint="tss_…6p",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, tzinfo=UTC),
        last_used_at=None,
        previous_secret_expires_at=None,
        auth_method="client_secret",
        key_thumbprints=(),
        jwks_uri=None,
        require_dpop=False,
    )
    assert client.get_credential("k7x2m4p9q3r8s5t6v1w0y2z4ab").id == "cred_1"
    assert client.rename_credential("cred_1", "exports").name == "exports"
    regenerated = client.regenerate_credential_secret("cred_1", grace_seconds=3600)
    assert regenerated.previous_secret_expires_at == datetime(2026, 1, 1, 1, tzinfo=UTC)
    client.delete_credential("cred_1")

    assert [(r.method, str(r.url)) for r in api.requests] == [
        ("POST", f"{BASE}/api/credentials"),
        ("GET", f"{BASE}/api/credentials?kind=organization"),
        ("GET", f"{BASE}/api/credentials/k7x2m4p9q3r8s5t6v1w0y2z4ab"),
        ("PATCH", f"{BASE}/api/credentials/cred_1"),
        ("POST", f"{BASE}/api/credentials/cred_1/regenerate"),
        ("DELETE", f"{BASE}/api/credentials/cred_1"),
    ]
    assert api.body(3) == {"name": "exports"}
    assert api.body(4) == {"grace_seconds": 3600}


@pytest.mark.parametrize(
    ("response", "cls", "code", "text"),
    [
        (
            problem(400, "immutable_field", "The request is not valid", "scopes cannot change"),
            BadRequestError,
            "immutable_field",
            "400 immutable_field: The request is not valid (scopes cannot change)",
        ),
        (
            problem(403, "insufficient_scope", "Not allowed"),
            PermissionDeniedError,
            "insufficient_scope",
            "403 insufficient_scope: Not allowed",
        ),
        (problem(404, "not_found", "Not found"), NotFoundError, "not_found", "404 not_found: Not found"),
        (
            httpx.Response(
                418, json={"type": "https://tokensmith.dev/problems/teapot", "title": "Short and stout"}
            ),
            ApiError,
            "teapot",
            "418 teapot: Short and stout",
        ),
        (
            httpx.Response(502, content=b"<html>bad gateway</html>"),
            ApiError,
            "http_error",
            "502 http_error: Bad Gateway",
        ),
    ],
)
def test_errors_carry_the_problem_code(
    response: httpx.Response, cls: type[ApiError], code: str, text: str
) -> None:
    with pytest.raises(ApiError) as caught:
        FakeApi(response).client().get_token("tok_1")
    assert type(caught.value) is cls
    assert caught.value.code == code
    assert caught.value.status == response.status_code
    assert str(caught.value) == text


def test_a_problem_keeps_its_extension_members() -> None:
    response = httpx.Response(
        409,
        json={
            "title": "Conflict",
            "status": 409,
            "code": "conflict",
            "instance": "/x",
            "existing_id": "tok_9",
        },
    )
    with pytest.raises(ApiError) as caught:
        FakeApi(response).client().get_token("tok_1")
    assert caught.value.extensions == {"existing_id": "tok_9"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**TOKEN_JSON, "name": 3}, "field 'name' is missing or not a string"),
        (
            {k: v for k, v in TOKEN_JSON.items() if k != "scopes"},
            "field 'scopes' is missing or not a list of strings",
        ),
        ({**TOKEN_JSON, "created_at": "yesterday"}, "field 'created_at' is not an RFC 3339 time"),
        ([], "personal token is not a JSON object"),
    ],
)
def test_a_body_off_contract_is_refused(body: object, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        FakeApi(httpx.Response(200, json=body)).client().get_token("tok_1")


def test_the_personal_token_is_not_in_reprs() -> None:
    client = FakeApi().client()
    assert PAT not in repr(client)
    assert repr(PersonalTokenAuth(PAT)) == "PersonalTokenAuth(token='**********')"
    assert repr(client) == f"ManagementClient(base_url='{BASE}', auth=PersonalTokenAuth(token='**********'))"


def test_base_url_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="base_url must be an http"):
        ManagementClient("tokensmith.example.test", PersonalTokenAuth(PAT))


def test_an_owned_client_is_closed() -> None:
    with ManagementClient(BASE + "/", PersonalTokenAuth(PAT)) as client:
        assert client._base_url == BASE
    assert client._http.is_closed


def test_a_given_client_is_left_open() -> None:
    http = httpx.Client(transport=httpx.MockTransport(FakeApi()))
    with ManagementClient(BASE, PersonalTokenAuth(PAT), http_client=http):
        pass
    assert not http.is_closed
    http.close()


def test_the_async_client_shares_the_same_calls() -> None:
    api = FakeApi(
        httpx.Response(200, json={"items": [TOKEN_JSON], "next_cursor": "c2"}),
        httpx.Response(200, json={"items": [{**TOKEN_JSON, "id": "tok_2"}], "next_cursor": None}),
        httpx.Response(201, json={**CREDENTIAL_JSON, "client_secret": NEW_SECRET}),
        problem(404, "not_found", "Not found"),
    )

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(api))
        async with AsyncManagementClient(BASE, PersonalTokenAuth(PAT), http_client=http) as client:
            assert [t.id async for t in client.iter_tokens()] == ["tok_1", "tok_2"]
            created = await client.create_credential("billing", "personal")
            assert created.client_secret == NEW_SECRET
            with pytest.raises(NotFoundError) as caught:
                await client.delete_credential("cred_404")
            assert caught.value.code == "not_found"
        await http.aclose()

    asyncio.run(main())
    assert [(r.method, str(r.url)) for r in api.requests] == [
        ("GET", f"{BASE}/api/tokens"),
        ("GET", f"{BASE}/api/tokens?cursor=c2"),
        ("POST", f"{BASE}/api/credentials"),
        ("DELETE", f"{BASE}/api/credentials/cred_404"),
    ]
    assert all(r.headers["Authorization"] == f"Bearer {PAT}" for r in api.requests)
    assert api.body(2) == {"name": "billing", "kind": "personal"}


def test_regenerate_a_token() -> None:
    api = FakeApi(httpx.Response(200, json={**TOKEN_JSON, "token": NEW_TOKEN}))
    regenerated = api.client().regenerate_token("tok/1")
    assert isinstance(regenerated, CreatedPersonalToken)
    assert (regenerated.id, regenerated.token) == ("tok_1", NEW_TOKEN)
    assert NEW_TOKEN not in repr(regenerated)
    assert [(r.method, r.url.raw_path, r.content) for r in api.requests] == [
        ("POST", b"/api/tokens/tok%2F1/regenerate", b"")
    ]

    async def main() -> CreatedPersonalToken:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(
                FakeApi(httpx.Response(200, json={**TOKEN_JSON, "token": NEW_TOKEN}))
            )
        )
        async with AsyncManagementClient(BASE, PersonalTokenAuth(PAT), http_client=http) as client:
            result = await client.regenerate_token("tok_1")
        await http.aclose()
        return result

    assert asyncio.run(main()).token == NEW_TOKEN
