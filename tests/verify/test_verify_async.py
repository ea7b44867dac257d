"""``averify`` runs the very same flow as ``verify`` over an async client."""

from __future__ import annotations

import asyncio

import pytest

from tokensmith.token_format import checksum
from tokensmith.verify import InvalidTokenError
from tokensmith.verify.testing import FakeIssuer


def test_averify_matches_verify(issuer: FakeIssuer) -> None:
    async def scenario() -> None:
        async with issuer.verifier() as verifier:
            token = issuer.mint(scopes="voice:read", kind="user", subject="usr_9")
            principal = await verifier.averify(token, scopes=["voice:read"])
            assert principal.subject == "usr_9"
            assert principal.subject_kind == "user"
            assert await verifier.averify(token) == principal
            with pytest.raises(InvalidTokenError, match="another audience"):
                await verifier.averify(issuer.mint(claims={"aud": "x"}))

    asyncio.run(scenario())
    assert issuer.count("/.well-known/jwks.json") == 1


def test_averify_introspects(issuer: FakeIssuer) -> None:
    body = "abcdefghijklmnopqrstuvwxyz0123"
    token = "tsp_" + body + checksum("tsp_" + body)
    issuer.introspection_answers[token] = {"sub": "usr_1", "token_use": "personal", "scope": "a b"}
    client_id, secret = issuer.introspection_client

    async def scenario() -> None:
        async with issuer.verifier(
            introspection_client_id=client_id, introspection_client_secret=secret
        ) as verifier:
            assert (await verifier.averify(token)).scopes == {"a", "b"}

    asyncio.run(scenario())
