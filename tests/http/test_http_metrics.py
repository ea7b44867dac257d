"""``GET /metrics`` over real HTTP: Prometheus' parser reads it, its counters move with this
test's traffic, and the protection setting answers exact statuses (tokensmith.metrics,
tokensmith.http.metrics_route)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from tests.http.http_support import CLIENT_CREDENTIALS, INTROSPECT, SQLITE_ONLY, TOKEN, basic
from tests.http.metrics_support import parse, scrape
from tokensmith.core import ids
from tokensmith.core import secrets as sf
from tokensmith.metrics import Metrics

TOKENS = "tokensmith_token_requests_total"
AUTH_FAILURES = "tokensmith_auth_failures_total"
GRANT = "client_credentials"


def test_counters_move_with_the_traffic(live_server: Any, make_credential: Any) -> None:
    url = live_server.url
    jwt_cred = make_credential()
    opaque_cred = make_credential(token_format="opaque")
    before = scrape(url)
    assert {
        "tokensmith_token_requests",
        "tokensmith_token_request_duration_seconds",
        "tokensmith_introspection_requests",
        "tokensmith_introspection_duration_seconds",
        "tokensmith_auth_failures",
        "tokensmith_rate_limited",
        "tokensmith_lookup_cache_requests",
        "tokensmith_storage_errors",
        "tokensmith_webhook_deliveries",
        "tokensmith_tokens_reused",
        "tokensmith_token_overissue",
    } <= before.families
    with httpx.Client(base_url=url) as http:
        for _ in range(3):
            ok = http.post(
                TOKEN, data=CLIENT_CREDENTIALS, headers=basic(jwt_cred.client_id, jwt_cred.client_secret)
            )
            assert ok.status_code == 200, ok.text
        opaque = http.post(
            "/api/oauth/token",
            data=CLIENT_CREDENTIALS,
            headers=basic(opaque_cred.client_id, opaque_cred.client_secret),
        )
        assert opaque.status_code == 200, opaque.text
        wrong = http.post(
            TOKEN, data=CLIENT_CREDENTIALS, headers=basic(jwt_cred.client_id, sf.generate("tss_"))
        )
        assert wrong.status_code == 401
        unknown = http.post(
            TOKEN, data=CLIENT_CREDENTIALS, headers=basic(ids.new_client_id(), sf.generate("tss_"))
        )
        assert unknown.status_code == 401
        bad_scope = http.post(
            TOKEN,
            data={**CLIENT_CREDENTIALS, "scope": "members:write"},
            headers=basic(jwt_cred.client_id, jwt_cred.client_secret),
        )
        assert bad_scope.status_code == 400
        for token in (opaque.json()["access_token"], sf.generate("tsa_")):
            answer = http.post(
                INTROSPECT, data={"token": token}, headers=basic(jwt_cred.client_id, jwt_cred.client_secret)
            )
            assert answer.status_code == 200, answer.text
    after = scrape(url)

    def moved(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    labels = {"grant": GRANT, "route": TOKEN}
    assert moved(TOKENS, **labels, format="jwt", result="issued") == 3
    assert moved(TOKENS, grant=GRANT, route="/api/oauth/token", format="opaque", result="issued") == 1
    assert moved(TOKENS, **labels, format="none", result="invalid_client") == 2
    assert moved(TOKENS, **labels, format="none", result="invalid_scope") == 1
    assert moved(AUTH_FAILURES, reason="wrong_secret") == 1
    assert moved(AUTH_FAILURES, reason="unknown_client") == 1
    malformed = httpx.post(url + TOKEN, data=CLIENT_CREDENTIALS, headers=basic("x", "y"))
    assert malformed.status_code == 401
    assert (
        scrape(url).value(AUTH_FAILURES, reason="malformed") - before.value(AUTH_FAILURES, reason="malformed")
        == 1
    )
    assert moved("tokensmith_token_request_duration_seconds_count", route=TOKEN) == 6
    assert moved("tokensmith_token_request_duration_seconds_sum", route=TOKEN) > 0
    assert moved("tokensmith_introspection_requests_total", result="active") == 1
    assert moved("tokensmith_introspection_requests_total", result="inactive") == 1
    assert moved("tokensmith_introspection_duration_seconds_count") == 2
    # The credential was read once, then served from the lookup cache.
    assert moved("tokensmith_lookup_cache_requests_total", cache="credentials", result="hit") >= 1
    assert moved("tokensmith_lookup_cache_requests_total", cache="credentials", result="miss") >= 1


@SQLITE_ONLY
def test_failed_authentication_limit_is_counted(live_server_factory: Any, make_org: Any) -> None:
    server = live_server_factory(auth_failures_per_minute=1)
    with httpx.Client(base_url=server.url) as http:
        statuses = [
            http.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic("unknown-client", "nope")).status_code
            for _ in range(3)
        ]
    assert statuses.count(429) >= 2, statuses
    after = scrape(server.url)
    assert after.value("tokensmith_rate_limited_total", limit="failed_authentication") == statuses.count(429)
    assert after.value(TOKENS, route=TOKEN, result="slow_down") == statuses.count(429)


@SQLITE_ONLY
def test_grant_and_error_labels_stay_bounded(live_server: Any) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        for grant in ("x" * 500, "urn:made:up", ""):
            response = http.post(TOKEN, data={"grant_type": grant})
            assert response.status_code == 400
    after = scrape(live_server.url)
    grants = {labels["grant"] for name, labels, _ in after.samples if name == TOKENS}
    assert grants <= {"other", "none"}
    assert after.value(TOKENS, grant="other", result="unsupported_grant_type") == 2
    assert after.value(TOKENS, grant="none", result="invalid_request") == 1


# Protection ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_off_means_no_route(live_server_factory: Any) -> None:
    server = live_server_factory(metrics=False)
    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 404


@SQLITE_ONLY
def test_an_address_outside_the_allowed_networks_is_forbidden(live_server_factory: Any) -> None:
    server = live_server_factory(metrics_allowed_addresses="10.0.0.0/8")
    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"


@SQLITE_ONLY
def test_the_allowed_address_is_the_forwarded_one_behind_a_trusted_proxy(live_server_factory: Any) -> None:
    server = live_server_factory(metrics_allowed_addresses="10.0.0.0/8", trust_forwarded_for=True)
    assert httpx.get(server.url + "/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    assert httpx.get(server.url + "/metrics", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 403
    # Without the header the socket peer (127.0.0.1) is the address: not allowed.
    assert httpx.get(server.url + "/metrics").status_code == 403


@SQLITE_ONLY
def test_a_bearer_token_is_required_when_set(live_server_factory: Any) -> None:
    server = live_server_factory(metrics_bearer_token="scrape-me-0123456789", metrics_allowed_addresses="")
    missing = httpx.get(server.url + "/metrics")
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"] == 'Bearer realm="tokensmith-metrics"'
    wrong = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer scrape-me-0123456788"})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_token"
    assert wrong.headers["www-authenticate"] == 'Bearer realm="tokensmith-metrics", error="invalid_token"'
    basic_auth = httpx.get(server.url + "/metrics", headers=basic("scrape-me-0123456789", ""))
    assert basic_auth.status_code == 401
    right = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert right.status_code == 200
    assert "tokensmith_token_requests" in parse(right.text).families


def test_invalid_allowed_addresses_refuse_to_start(settings_factory: Any) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        settings_factory(metrics_allowed_addresses="127.0.0.1,localhost")


# The recording API others call --------------------------------------------------------------


def test_webhook_delivery_outcomes_and_storage_errors_are_counted() -> None:
    metrics = Metrics.create()
    metrics.webhook_delivery("delivered")
    metrics.webhook_delivery("delivered")
    metrics.webhook_delivery("failed")
    metrics.storage_error("deadline")
    scraped = parse(metrics.render()[0].decode())
    assert scraped.value("tokensmith_webhook_deliveries_total", outcome="delivered") == 2
    assert scraped.value("tokensmith_webhook_deliveries_total", outcome="failed") == 1
    assert scraped.value("tokensmith_storage_errors_total", cause="deadline") == 1


def test_two_instances_in_one_process_do_not_share_counts() -> None:
    first, second = Metrics.create(), Metrics.create()
    first.rate_limited("failed_authentication")
    assert parse(first.render()[0].decode()).value("tokensmith_rate_limited_total") == 1
    assert parse(second.render()[0].decode()).value("tokensmith_rate_limited_total") == 0


def test_the_grafana_dashboard_queries_only_metrics_that_exist() -> None:
    dashboard = json.loads((Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text())
    families = parse(Metrics.create().render()[0].decode()).families
    exposed = {
        f"{family}{suffix}" for family in families for suffix in ("_total", "_bucket", "_count", "_sum")
    }
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"tokensmith_[a-z_]+", target["expr"])
    }
    assert len(queried) >= 10
    assert queried <= exposed, queried - exposed


def test_an_unwritable_multiprocess_directory_is_logged_once_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "gone"  # not there yet: as if removed under a running worker
    metrics = Metrics(CollectorRegistry(), multiprocess_dir=str(directory))
    metrics.rate_limited("issuance_quota")
    metrics.publish()
    metrics.publish()
    warnings = [r for r in caplog.records if r.name == "tokensmith.metrics"]
    assert len(warnings) == 1
    assert "cannot write metrics" in warnings[0].getMessage()
    directory.mkdir()
    metrics.rate_limited("issuance_quota")
    scraped = parse(metrics.render()[0].decode())  # publishes first: nothing counted was lost
    metrics.close()
    assert scraped.value("tokensmith_rate_limited_total", limit="issuance_quota") == 2
