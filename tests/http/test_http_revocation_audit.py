"""RFC 7009 revocation is a state change: it is audited (who: the client; what: the token's jti),
and housekeeping later forgets revocations of tokens that have expired anyway."""

from __future__ import annotations

from typing import Any

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, basic
from tokensmith.core.actors import Actor
from tokensmith.services.audit_query import AuditFilters
from tokensmith.services.container import Services


def test_revocation_is_audited_and_expired_revocations_are_purged(
    client: Any, make_credential: Any, services: Services, clock: Any
) -> None:
    cred = make_credential()
    token = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
    ).json()
    revoked = client.post(
        "/oauth2/revoke",
        data={"token": token["access_token"]},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert revoked.status_code == 200
    events = services.audit_query.list(
        Actor.system(), org_id=cred.credential.org_id, filters=AuditFilters(action="access_token.revoked")
    )
    assert len(events.items) == 1
    event = events.items[0]
    assert event.actor_kind == "client" and event.actor_label == f"client {cred.client_id}"
    assert event.target_kind == "access_token" and event.transport == "oauth"
    assert token["access_token"] not in str(event)

    assert services.inspector.purge_expired() == 0  # still within its lifetime
    clock.advance(seconds=token["expires_in"] + 1)
    assert services.inspector.purge_expired() == 1
