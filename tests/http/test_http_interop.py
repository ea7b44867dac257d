"""Clients that are not ours, over real HTTP against ``live_server``: Authlib + PyJWT through
discovery, and the seeds' own requests as written (only the host changed)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from typing import Any

import httpx
import jwt
import pytest
import requests
from authlib.integrations.httpx_client import OAuth2Client

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


def discover(url: str) -> dict[str, Any]:
    response = httpx.get(url + "/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authlib_gets_a_token_through_discovery_and_pyjwt_verifies_it(
    live_server: Any, make_credential: Any, auth_method: str
) -> None:
    cred = make_credential(scopes=["api/access", "project:read"])
    metadata = discover(live_server.url)
    assert metadata["issuer"] == live_server.url
    with OAuth2Client(
        cred.client_id,
        cred.client_secret,
        scope="api/access",
        token_endpoint_auth_method=auth_method,
        timeout=10,
    ) as oauth:
        token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "api/access"
    assert "refresh_token" not in token
    jwks_client = jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=False)
    signing_key = jwks_client.get_signing_key_from_jwt(token["access_token"])
    claims = jwt.decode(
        token["access_token"],
        signing_key.key,
        algorithms=["ES256"],
        audience=live_server.url,
        issuer=metadata["issuer"],
    )
    assert claims["client_id"] == cred.client_id
    assert claims["scope"] == "api/access"
    assert claims["exp"] > time.time()
    # A token that is not ours fails the same check.
    forged = jwt.encode(
        claims, "not-the-signing-key-" * 3, algorithm="HS256", headers={"kid": signing_key.key_id}
    )
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(
            forged, signing_key.key, algorithms=["ES256"], audience=live_server.url, issuer=live_server.url
        )


def test_authlib_sees_a_wrong_secret_as_an_oauth_error(live_server: Any, make_credential: Any) -> None:
    from authlib.integrations.base_client.errors import OAuthError

    cred = make_credential()
    metadata = discover(live_server.url)
    wrong = cred.client_secret[:-6] + "000000"
    with OAuth2Client(cred.client_id, wrong, timeout=10) as oauth, pytest.raises(OAuthError) as caught:
        oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert caught.value.error == "invalid_client"


def run_curl(*args: str) -> dict[str, Any]:
    assert CURL is not None
    result = subprocess.run([CURL, *args], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@needs_curl
def test_seed_000_curl(live_server: Any, make_credential: Any) -> None:
    cred = make_credential()
    body = run_curl(
        "-X",
        "POST",
        f"{live_server.url}/oauth2/token",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "-u",
        f"{cred.client_id}:{cred.client_secret}",
        "-d",
        "grant_type=client_credentials&scope=api/access",
    )
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "api/access")
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {
        "sub",
        "token_use",
        "scope",
        "auth_time",
        "iss",
        "exp",
        "iat",
        "version",
        "jti",
        "client_id",
    } <= set(claims)


@needs_curl
def test_seed_002_system_credentials_curl(live_server: Any, make_credential: Any) -> None:
    cred = make_credential()
    body = run_curl(
        "--request",
        "POST",
        f"{live_server.url}/api/v0/login",
        "-u",
        f"{cred.client_id}:{cred.client_secret}",
        "--header",
        "Content-Type: application/json",
        "--data",
        '{"grant_type": "client_credentials"}',
    )
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2


@needs_curl
def test_seed_003_curl(live_server: Any, make_credential: Any) -> None:
    cred = make_credential()
    body = run_curl(
        "-X",
        "POST",
        f"{live_server.url}/api/v1/token",
        "--header",
        "Accept: */*",
        "--header",
        "Content-Type: application/json",
        "--data-raw",
        '{\n  "grantType":"client_credentials",\n  "clientId":"'
        + cred.client_id
        + '",\n  "clientSecret" : "'
        + cred.client_secret
        + '"\n}',
    )
    assert set(body) >= {"accessToken"}
    assert body["accessToken"].count(".") == 2


@needs_curl
def test_seed_004_curl(live_server: Any, make_credential: Any) -> None:
    cred = make_credential(token_format="opaque")
    body = run_curl(
        "--location",
        "--request",
        "POST",
        f"{live_server.url}/api/oauth/token",
        "--header",
        "Content-Type: application/x-www-form-urlencoded",
        "--data-urlencode",
        f"client_id={cred.client_id}",
        "--data-urlencode",
        f"client_secret={cred.client_secret}",
        "--data-urlencode",
        "grant_type=client_credentials",
    )
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("tsa_")


def test_seed_000_python_snippet(live_server: Any, make_credential: Any) -> None:
    """Seed 000's ``get_access_token`` (requests + hand-made Basic) and its ``exp`` check."""
    cred = make_credential()

    def get_access_token(client_id: str, client_secret: str) -> dict[str, Any]:
        auth = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        response = requests.post(
            f"{live_server.url}/oauth2/token",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {auth}"},
            data={"grant_type": "client_credentials", "scope": "api/access"},
            timeout=10,
        )
        return response.json()  # type: ignore[no-any-return]

    token_data = get_access_token(cred.client_id, cred.client_secret)
    decoded = jwt.decode(token_data["access_token"], options={"verify_signature": False})
    expiration = decoded["exp"]
    assert isinstance(expiration, int)
    assert 3500 < expiration - time.time() <= 3600
