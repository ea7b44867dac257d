"""private_key_jwt with clients that are not ours and keys published at a ``jwks_uri``, over real
HTTP against ``live_server`` on SQLite and PostgreSQL: Authlib's ``PrivateKeyJWT`` client
authentication (httpx and requests integrations), a client's own JWKS server on 127.0.0.1 (with
rotation and the refetch cooldown), and the addresses a JWKS URI may never reach."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey, OKPKey, RSAKey

from tests.http.http_support import TOKEN, assert_oauth_error, assert_token_response, verify_jwt
from tests.http.private_key_jwt_support import ClientKeyPair, JwksServer, assertion_form, key_credential


def discover(url: str) -> dict[str, Any]:
    response = httpx.get(url + "/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def authlib_key(pair: ClientKeyPair) -> ECKey | OKPKey | RSAKey:
    kind = {"EC": ECKey, "OKP": OKPKey, "RSA": RSAKey}[pair.private_jwk["kty"]]
    return kind.import_key(pair.private_jwk)  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256"])
def test_authlib_httpx_client_authenticates_with_private_key_jwt(
    live_server: Any, make_org: Any, alg: str
) -> None:
    metadata = discover(live_server.url)
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert alg in metadata["token_endpoint_auth_signing_alg_values_supported"]
    pair = ClientKeyPair(alg=alg)
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    with OAuth2Client(
        credential.client_id,
        authlib_key(pair),
        scope="api/access",
        token_endpoint_auth_method="private_key_jwt",
        timeout=10,
    ) as oauth:
        oauth.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"], alg=alg))
        token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        # Authlib signs a fresh jti each time: a second request is not a replay.
        again = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and again["access_token"] != token["access_token"]
    assert verify_jwt(live_server.services, token["access_token"])["client_id"] == credential.client_id


def test_authlib_requests_session_authenticates_and_sees_a_foreign_key_refused(
    live_server: Any, make_org: Any
) -> None:
    from authlib.integrations.base_client.errors import OAuthError

    metadata = discover(live_server.url)
    pair = ClientKeyPair()
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    session = OAuth2Session(
        credential.client_id, authlib_key(pair), token_endpoint_auth_method="private_key_jwt"
    )
    session.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"], alg="ES256"))
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    stranger = OAuth2Session(
        credential.client_id,
        authlib_key(ClientKeyPair(kid=pair.kid)),
        token_endpoint_auth_method="private_key_jwt",
    )
    stranger.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"], alg="ES256"))
    with pytest.raises(OAuthError) as caught:
        stranger.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert caught.value.error == "invalid_client"


def test_keys_published_at_a_jwks_uri_are_fetched_cached_and_rotated_after_the_cooldown(
    live_server: Any, make_org: Any
) -> None:
    token_url = live_server.url + TOKEN
    old, new = ClientKeyPair(), ClientKeyPair()
    with JwksServer({"keys": [old.public_jwk]}) as published:
        credential = key_credential(live_server.services, make_org(), jwks_uri=published.url)
        assert credential.key_thumbprints == [] and credential.jwks_uri == published.url
        for _ in range(2):
            response = httpx.post(token_url, data=assertion_form(old.sign(credential.client_id, token_url)))
            assert_token_response(response, scope="api/access")
        assert published.requests == 1  # cached
        # The client rotates. Within the cooldown after the last fetch, an assertion by a kid the
        # cached set lacks is refused without another request to the client's server…
        published.document = {"keys": [new.public_jwk]}
        for _ in range(3):
            response = httpx.post(token_url, data=assertion_form(new.sign(credential.client_id, token_url)))
            assert_oauth_error(response, 401, "invalid_client")
        assert published.requests == 1
        # …and once the cooldown is over, the first such assertion refetches the set, once.
        remote = live_server.services.client_assertions.remote
        started = remote.monotonic
        remote.monotonic = lambda: started() + remote.cooldown + 1
        for _ in range(2):
            response = httpx.post(token_url, data=assertion_form(new.sign(credential.client_id, token_url)))
            assert_token_response(response, scope="api/access")
        assert published.requests == 2
        response = httpx.post(token_url, data=assertion_form(old.sign(credential.client_id, token_url)))
        assert_oauth_error(response, 401, "invalid_client")  # the old key left the published set


def test_a_jwks_uri_that_fails_refuses_the_client_and_never_answers_500(
    live_server: Any, make_org: Any
) -> None:
    token_url = live_server.url + TOKEN
    pair = ClientKeyPair()
    with JwksServer({"keys": [pair.public_jwk]}) as published:
        published.status, published.location = 302, "http://10.0.0.1/jwks.json"
        credential = key_credential(live_server.services, make_org(), jwks_uri=published.url)
        response = httpx.post(token_url, data=assertion_form(pair.sign(credential.client_id, token_url)))
        assert_oauth_error(response, 401, "invalid_client")  # redirects are not followed
        assert published.requests == 1


@pytest.mark.parametrize(
    "uri",
    [
        "http://10.0.0.1/jwks.json",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.1:8080/keys",
        "http://[fd00::1]/jwks.json",
        "http://100.64.0.1/jwks.json",
        "http://0.0.0.0/jwks.json",
    ],
)
def test_a_jwks_uri_on_a_private_address_is_never_fetched(live_server: Any, make_org: Any, uri: str) -> None:
    token_url = live_server.url + TOKEN
    pair = ClientKeyPair()
    credential = key_credential(live_server.services, make_org(), jwks_uri=uri)
    response = httpx.post(token_url, data=assertion_form(pair.sign(credential.client_id, token_url)))
    assert_oauth_error(response, 401, "invalid_client")
    assert "Refused" in live_server.services.client_assertions.remote.last_failure
