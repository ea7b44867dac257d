"""Redis down or silent: the shared failed-authentication limits fail open, quickly, and the
token endpoint keeps answering (faults injected by the test's own TCP proxy in front of Redis,
``tests/faultproxy.py``). Time bounds are liveness bounds, not performance assertions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.faultproxy import FaultProxy
from tokensmith.services.auth_failures import AuthFailureLimiter

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
#: "Answered, did not hang": Redis calls give up after AuthFailureLimiter.REDIS_TIMEOUT_SECONDS.
LIVENESS_BOUND_SECONDS = 3.0


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[tuple[FaultProxy, str]]:
    url = make_url(redis_url)
    with FaultProxy((url.host or "127.0.0.1", url.port or 6379)) as proxy:
        yield proxy, proxy.url_for(redis_url)


def _timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@SQLITE
@pytest.mark.redis
@pytest.mark.parametrize("fault", ["cut", "blackhole"])
def test_the_token_endpoint_answers_while_redis_is_down_or_silent(
    fault: str,
    redis_proxy: tuple[FaultProxy, str],
    live_server_factory: Any,
    make_credential: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(AuthFailureLimiter, "REDIS_RETRY_SECONDS", 1.0)
    proxy, proxied_redis = redis_proxy
    server = live_server_factory(redis_url=proxied_redis, auth_failures_per_minute=3)
    client_id, secret, _ = make_credential()
    address = f"203.0.113.{uuid.uuid4().int % 200 + 1}"
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def token(password: str) -> httpx.Response:
            return http.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, password),
                headers={"X-Forwarded-For": address},
            )

        assert token(secret).status_code == 200
        proxy.cut() if fault == "cut" else proxy.blackhole()
        for _ in range(3):  # the first pays Redis's time-out, the next ones nothing
            ok, seconds = _timed(lambda: token(secret))
            assert ok.status_code == 200 and seconds < LIVENESS_BOUND_SECONDS
        wrong, seconds = _timed(lambda: token("tss_wrong"))
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        assert seconds < LIVENESS_BOUND_SECONDS

        proxy.restore()
        time.sleep(1.2)  # past REDIS_RETRY_SECONDS: Redis is asked again
        assert token(secret).status_code == 200
