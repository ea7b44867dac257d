"""The dashboard's keyless credentials (private_key_jwt, RFC 7523 §2.2) over HTTP: the create form's
"Public key" choice with a JWK Set or a JWKS URL, refusals at their field, the detail page's key
thumbprints, and no secret to show or regenerate."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.dashboard.conftest import Team
from tests.http.private_key_jwt_support import ClientKeyPair
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import thumbprint
from tokensmith.services.container import Services
from tokensmith.services.reveals import new_form_nonce

SYSTEM = Actor.system()


def _post(client: Any, url: str, csrf: str, **form: Any) -> Any:
    data = {"csrf_token": csrf, "form_nonce": new_form_nonce(), **form}
    return client.post(url, data=data, follow_redirects=False)


def test_the_form_offers_a_public_key_choice(client: Any, team: Team, sign_in: Callable[[str], str]) -> None:
    sign_in(team.owner_email)
    page = client.get("/credentials/new")
    assert 'value="private_key_jwt"' in page.text and "Public key (private_key_jwt)" in page.text
    assert 'name="jwks"' in page.text and 'name="jwks_uri"' in page.text


def test_a_public_key_credential_shows_its_thumbprint_and_offers_no_secret(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    pair = ClientKeyPair()
    created = _post(
        client,
        "/credentials",
        csrf,
        name="signer",
        kind="organization",
        scopes="api/access",
        auth_method="private_key_jwt",
        jwks=json.dumps({"keys": [pair.public_jwk]}),
    )
    assert created.status_code == 303, created.text
    assert "done=credential-keys-registered" in created.headers["location"]
    (credential,) = services.credentials.list(SYSTEM, org_id=team.org.id).items
    assert credential.key_thumbprints == [thumbprint(pair.public_jwk)]
    detail = client.get(created.headers["location"])
    assert detail.status_code == 200
    assert thumbprint(pair.public_jwk) in detail.text and "private_key_jwt" in detail.text
    assert "Regenerate secret" not in detail.text and "/regenerate" not in detail.text
    assert "has no secret" in detail.text


def test_a_jwks_url_credential(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    created = _post(
        client,
        "/credentials",
        csrf,
        name="published",
        kind="personal",
        scopes="api/access",
        auth_method="private_key_jwt",
        jwks_uri="https://client.example.test/jwks.json",
    )
    assert created.status_code == 303, created.text
    detail = client.get(created.headers["location"])
    assert "https://client.example.test/jwks.json" in detail.text


def test_refusals_land_on_the_key_fields(
    client: Any, services: Services, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    pair = ClientKeyPair()
    common = {"name": "x", "kind": "personal", "scopes": "api/access", "auth_method": "private_key_jwt"}
    leaked = _post(client, "/credentials", csrf, **common, jwks=json.dumps(pair.private_jwk))
    assert leaked.status_code == 400
    assert 'id="jwks-error"' in leaked.text and "private key material" in leaked.text
    neither = _post(client, "/credentials", csrf, **common)
    assert neither.status_code == 400 and 'id="jwks-error"' in neither.text
    not_json = _post(client, "/credentials", csrf, **common, jwks="{")
    assert not_json.status_code == 400 and "not valid JSON" in not_json.text
    bad_uri = _post(client, "/credentials", csrf, **common, jwks_uri="ftp://x.test/jwks")
    assert bad_uri.status_code == 400 and 'id="jwks_uri-error"' in bad_uri.text
    assert services.credentials.list(SYSTEM, org_id=team.org.id).items == []
