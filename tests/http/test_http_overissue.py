"""Credentials that request far more tokens than their lifetime needs (tokensmith.services.overissue):
every token past the threshold within one token lifetime is counted, and the organisation hears
of it by one audit event per credential per hour, not one per request."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, basic
from tests.http.metrics_support import scrape
from tokensmith.core.actors import Actor
from tokensmith.services.audit_query import AuditFilters

THRESHOLD = 2
OVERISSUE = "credential.token_overissue"


def _events(services: Any, org_id: str) -> list[Any]:
    page = services.audit_query.list(Actor.system(), org_id=org_id, filters=AuditFilters(action=OVERISSUE))
    return list(page.items)


def test_over_issue_is_counted_and_audited_once(
    live_server_factory: Any, make_org: Any, make_credential: Any
) -> None:
    server = live_server_factory(overissue_threshold=THRESHOLD)
    org = make_org()
    greedy = make_credential(org=org, ttl=600)
    calm = make_credential(org=org, ttl=600)
    with httpx.Client(base_url=server.url) as http:
        for _ in range(THRESHOLD + 5):
            response = http.post(
                TOKEN, data=CLIENT_CREDENTIALS, headers=basic(greedy.client_id, greedy.client_secret)
            )
            assert response.status_code == 200
        for _ in range(THRESHOLD):
            response = http.post(
                TOKEN, data=CLIENT_CREDENTIALS, headers=basic(calm.client_id, calm.client_secret)
            )
            assert response.status_code == 200
    assert scrape(server.url).value("tokensmith_token_overissue_total") == 5
    deadline = time.monotonic() + 10
    while not _events(server.services, org.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # any second event would have been written by now
    events = _events(server.services, org.id)
    assert [e.target_id for e in events] == [greedy.client_id]
    assert events[0].details["threshold"] == THRESHOLD
    assert events[0].details["token_ttl"] == 600


def test_reused_tokens_do_not_count(live_server_factory: Any, make_credential: Any) -> None:
    server = live_server_factory(overissue_threshold=THRESHOLD)
    cred = make_credential()
    server.services.credentials.set_token_reuse(Actor.system(), cred.client_id, enabled=True)
    with httpx.Client(base_url=server.url) as http:
        tokens = {
            http.post(
                TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
            ).json()["access_token"]
            for _ in range(THRESHOLD + 3)
        }
    assert len(tokens) == 1
    scraped = scrape(server.url)
    assert scraped.value("tokensmith_token_overissue_total") == 0
    assert scraped.value("tokensmith_tokens_reused_total") == THRESHOLD + 2
