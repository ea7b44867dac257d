"""The SDK's DPoP option against a live Tokensmith (RFC 9449): a bound token, nonces, and Tokensmith's
own protected resource (``/api/me``) accepting the SDK's proofs and refusing the token without them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import LiveServer
from tests.http.private_key_jwt_support import ClientKeyPair, key_credential
from tokensmith.client import ClientCredentialsAuth, DPoPKey, PrivateKeyJwtAuth, TokenRequestError


def _server_clock(server: LiveServer) -> Callable[[], float]:
    """The SDK reads the server's (frozen) test clock, so proofs' iat is "now" to the server."""
    return lambda: server.services.clock.now().timestamp()


def test_a_live_server_issues_a_bound_token_and_the_api_accepts_its_proofs(
    live_server_factory: Callable[..., LiveServer], make_credential: Any
) -> None:
    """Nonces on: the token endpoint's use_dpop_nonce is answered once, then /api/me (a protected
    resource of Tokensmith itself) accepts the bound token with the SDK's proofs."""
    server = live_server_factory(dpop_nonces=True)
    cred = make_credential()
    key = DPoPKey()
    auth = ClientCredentialsAuth(
        cred.client_id, cred.client_secret, issuer=server.url, dpop=key, clock=_server_clock(server)
    )
    with httpx.Client(auth=auth) as client:
        first = client.get(f"{server.url}/api/me")
        assert first.status_code == 200, first.text
        assert client.get(f"{server.url}/api/me").status_code == 200  # fresh proof each time
    token = auth._token  # noqa: SLF001 - the token the auth keeps is the thing under test
    assert token is not None and token.token_type == "DPoP"
    claims = jwt.decode(token.value.reveal(), options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.thumbprint}


def test_a_live_server_refuses_the_bound_token_without_the_key(
    live_server: LiveServer, make_credential: Any
) -> None:
    cred = make_credential()
    auth = ClientCredentialsAuth(
        cred.client_id,
        cred.client_secret,
        issuer=live_server.url,
        dpop=True,
        clock=_server_clock(live_server),
    )
    with httpx.Client(auth=auth) as client:
        assert client.get(f"{live_server.url}/api/me").status_code == 200
    token = auth._token  # noqa: SLF001
    assert token is not None
    stolen = httpx.get(
        f"{live_server.url}/api/me", headers={"Authorization": f"Bearer {token.value.reveal()}"}
    )
    assert stolen.status_code == 401


def test_a_keyless_credential_that_requires_dpop_gets_bound_tokens_through_the_sdk(
    live_server_factory: Callable[..., LiveServer], make_org: Any
) -> None:
    """private_key_jwt and DPoP together (nonces on): no secret anywhere, and the token is bound to
    the process's DPoP key, a key apart from the one that signs the client assertions."""
    server = live_server_factory(dpop_nonces=True)
    signer = ClientKeyPair()
    credential = key_credential(server.services, make_org(), keys=[signer], require_dpop=True)
    key = DPoPKey()
    auth = PrivateKeyJwtAuth(
        credential.client_id,
        signer.private_jwk,
        kid=signer.kid,
        issuer=server.url,
        dpop=key,
        clock=_server_clock(server),
    )
    with httpx.Client(auth=auth) as client:
        assert client.get(f"{server.url}/api/me").status_code == 200
        assert client.get(f"{server.url}/api/me").status_code == 200
    token = auth._token  # noqa: SLF001
    assert token is not None and token.token_type == "DPoP"
    claims = jwt.decode(token.value.reveal(), options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.thumbprint} and claims["client_id"] == credential.client_id
    unbound = PrivateKeyJwtAuth(
        credential.client_id, signer.private_jwk, kid=signer.kid, issuer=server.url, max_retries=0
    )
    with httpx.Client(auth=unbound) as client, pytest.raises(TokenRequestError) as refused:
        client.get(f"{server.url}/api/me")
    assert refused.value.error == "invalid_dpop_proof"
