"""A member's list of personal tokens is kept in memory under the change feed's rule: a token
created, renamed or revoked by another process shows in the list once this process has learnt
of the commit (both databases)."""

from __future__ import annotations

from typing import Any

from tests.conftest import TwoProcesses
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.roles import Role

SYNC_SECONDS = 10.0


def test_a_change_by_another_process_shows_in_the_next_page(
    two_processes: TwoProcesses, make_org: Any
) -> None:
    first, second, feed = two_processes
    org = make_org()
    user = first.organizations.create_user(
        Actor.system(), "pages@example.test", org_id=org.id, role=Role.MEMBER
    )
    made = first.personal_tokens.create(
        Actor.system(), name="one", scopes=["tokens:read"], org_id=org.id, user_id=user.id
    )
    owner = first.bearer.authenticate(made.plain, transport=Transport.API)
    assert owner.method is AuthMethod.PERSONAL_TOKEN

    def names() -> list[str]:
        return [t.name for t in first.personal_tokens.list(owner).items]

    assert feed.sync(SYNC_SECONDS)
    assert names() == ["one"]
    assert names() == ["one"]  # now kept in memory

    other = second.personal_tokens.create(
        Actor.system(), name="two", scopes=["tokens:read"], org_id=org.id, user_id=user.id
    )
    assert feed.sync(SYNC_SECONDS)
    assert sorted(names()) == ["one", "two"]

    second.personal_tokens.revoke(Actor.system(), other.token.id)
    assert feed.sync(SYNC_SECONDS)
    assert names() == ["one"]
