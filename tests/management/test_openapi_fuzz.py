"""schemathesis against /openapi.json: no 500s, and every response (problem details included)
matches the document. Authenticated by a personal token holding every management scope."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role
from tokensmith.http.app import create_app
from tokensmith.services.container import build_services
from tokensmith.settings import MANAGEMENT_SCOPES, Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 40
SCOPES = sorted(MANAGEMENT_SCOPES | {"api/access", "project:read"})


@dataclass(frozen=True)
class Fuzzed:
    url: str
    headers: dict[str, str]
    #: Ids of objects that exist, per path parameter name.
    known: dict[str, list[str]]


TEST_KEY = "fuzz-master-key-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """The real app on uvicorn (a real socket; the lifespan runs once), seeded with an owner
    whose personal token holds every management scope. Yields (base URL, headers)."""
    path = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = Settings(
        database_url=f"sqlite:///{path}", secret_key=TEST_KEY, issuer=url, key_publish_delay_seconds=0
    )
    services = build_services(config)
    system = Actor.system()
    org = services.organizations.create(system, "fuzz")
    user = services.organizations.create_user(system, "fuzz@example.test", org_id=org.id, role=Role.OWNER)
    services.organizations.create_user(system, "other@example.test", org_id=org.id, role=Role.OWNER)
    token = services.personal_tokens.create(
        system,
        name="fuzz",
        scopes=sorted(MANAGEMENT_SCOPES | {"api/access", "resources:write"}),
        org_id=org.id,
        user_id=user.id,
    )
    credential = services.credentials.create(
        system, org_id=org.id, name="seed", kind=CredentialKind.ORGANIZATION
    )
    victim = services.personal_tokens.create(
        system, name="victim", scopes=["api/access"], org_id=org.id, user_id=user.id
    )
    known = {
        "org_id": [org.id],
        "token_id": [victim.token.id],
        "credential_id": [credential.credential.id, credential.credential.client_id],
        "user": ["other@example.test"],
        "resource_id": ["mcp", "platform"],
    }
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, services=services), log_config=None, access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the server did not start"
    try:
        yield Fuzzed(url, {"Authorization": f"Bearer {token.plain}"}, known)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        services.close()


OPERATIONS = [
    ("GET", "/api/me"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("GET", "/api/tokens/{token_id}"),
    ("PATCH", "/api/tokens/{token_id}"),
    ("POST", "/api/tokens/{token_id}/regenerate"),
    ("DELETE", "/api/tokens/{token_id}"),
    ("GET", "/api/credentials"),
    ("POST", "/api/credentials"),
    ("GET", "/api/credentials/{credential_id}"),
    ("PATCH", "/api/credentials/{credential_id}"),
    ("POST", "/api/credentials/{credential_id}/regenerate"),
    ("DELETE", "/api/credentials/{credential_id}"),
    ("GET", "/api/orgs"),
    ("GET", "/api/orgs/{org_id}"),
    ("GET", "/api/orgs/{org_id}/members"),
    ("POST", "/api/orgs/{org_id}/members"),
    ("PATCH", "/api/orgs/{org_id}/members/{user}"),
    ("DELETE", "/api/orgs/{org_id}/members/{user}"),
    ("GET", "/api/orgs/{org_id}/policy"),
    ("PATCH", "/api/orgs/{org_id}/policy"),
    ("GET", "/api/audit"),
    ("POST", "/api/credentials/revoke-leaked"),
    ("POST", "/api/credentials/{credential_id}/keys"),
    ("PUT", "/api/credentials/{credential_id}/keys"),
    ("DELETE", "/api/credentials/{credential_id}/keys/{thumbprint}"),
    ("GET", "/api/orgs/{org_id}/webhooks"),
    ("POST", "/api/orgs/{org_id}/webhooks"),
    ("GET", "/api/orgs/{org_id}/webhooks/event-types"),
    ("GET", "/api/orgs/{org_id}/webhooks/{endpoint_id}"),
    ("PATCH", "/api/orgs/{org_id}/webhooks/{endpoint_id}"),
    ("DELETE", "/api/orgs/{org_id}/webhooks/{endpoint_id}"),
    ("GET", "/api/orgs/{org_id}/webhooks/{endpoint_id}/deliveries"),
    ("POST", "/api/orgs/{org_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"),
    ("GET", "/api/resources"),
    ("POST", "/api/resources"),
    ("GET", "/api/resources/{resource_id}"),
    ("DELETE", "/api/resources/{resource_id}"),
    ("GET", "/api/authorized-apps"),
    ("DELETE", "/api/authorized-apps/{app_id}"),
    ("GET", "/api/oauth-clients"),
    ("DELETE", "/api/oauth-clients/{client_id}"),
]


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> Any:
    return schemathesis.openapi.from_url(fuzzed.url + "/openapi.json")


def test_every_management_operation_is_fuzzed(api_schema: Any) -> None:
    documented = {
        (method.upper(), path)
        for path, item in api_schema.raw_schema["paths"].items()
        if path.startswith("/api/") and not path.startswith(("/api/oauth/", "/api/v0/", "/api/v1/"))
        for method in item
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.log_guard_ignore("httpx", "httpx2")
def test_management_api_conforms(api_schema: Any, fuzzed: Fuzzed, method: str, path: str) -> None:
    strategy = api_schema[path][method].as_strategy()

    @given(case=strategy, data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any, data: st.DataObject) -> None:
        # Half the time aim at objects that exist, so the fuzzer gets past 404 into the services.
        for name, values in fuzzed.known.items():
            if case.path_parameters and name in case.path_parameters and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(values))
        if isinstance(case.body, dict):
            if "scopes" in case.body and data.draw(st.booleans()):
                case.body["scopes"] = data.draw(st.lists(st.sampled_from(SCOPES), min_size=1, unique=True))
            if path.endswith("/policy"):
                # Switching personal tokens off would lock the fuzzer out for the rest of the run.
                case.body.pop("allow_personal_tokens", None)
        case.call_and_validate(base_url=fuzzed.url, headers=fuzzed.headers, checks=CHECKS)

    check()
