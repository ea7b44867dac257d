"""The log guard knows the secrets the real server mints, including in the live server's thread."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, SQLITE_ONLY, TOKEN, basic


@SQLITE_ONLY
@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_minted_access_tokens_are_tracked(
    client: Any, make_credential: Any, log_guard: Any, token_format: str
) -> None:
    cred = make_credential(token_format=token_format)
    token = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
    ).json()["access_token"]
    assert token in log_guard.secrets
    assert cred.client_secret in log_guard.secrets
    assert cred.basic in log_guard.secrets
    assert log_guard.leaks() == []  # a whole token request logged nothing secret
    logging.getLogger("tokensmith.http").error("request failed for token %s", token)
    assert len(log_guard.leaks()) == 1
    log_guard.forget_records()


@SQLITE_ONLY
def test_records_from_the_live_server_thread_are_seen(
    live_server: Any, make_credential: Any, log_guard: Any
) -> None:
    cred = make_credential()
    response = httpx.post(live_server.url + TOKEN, data=CLIENT_CREDENTIALS, auth=(cred.client_id, "wrong"))
    assert response.status_code == 401
    assert any(r.threadName != "MainThread" for r in log_guard.records), "server-side records are captured"
