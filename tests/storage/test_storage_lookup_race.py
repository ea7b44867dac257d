"""No stale success across processes: thousands of personal-token lookups in one process,
interleaved with revocations committed by another, on SQLite and PostgreSQL.

The invariant under test (``storage/change_feed.py``): once a process has learnt of a commit,
no lookup in it answers with a row read before that commit. The worker process runs lookups in
several threads the whole time, so reads race the revocations' commits and the cache stores
that follow them (the stale-store race). After each batch of revocations, this test asks the
worker to catch up with every commit made so far (``ChangeFeed.sync``); from that moment, any
success for a token revoked in the batch is a stale success.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings

WORKER = Path(__file__).with_name("lookup_race_worker.py")
TOKENS = 240
BATCH = 24
THREADS = 4


def _ask(worker: subprocess.Popen[str], command: str) -> dict[str, Any]:
    assert worker.stdin is not None and worker.stdout is not None
    worker.stdin.write(command + "\n")
    worker.stdin.flush()
    answer: dict[str, Any] = json.loads(worker.stdout.readline())
    assert "error" not in answer, answer["error"]
    return answer


def test_no_lookup_answers_with_a_row_older_than_a_commit_it_has_learnt_of(
    settings: Settings, services: Services, make_org: Any
) -> None:
    system = Actor.system()
    org = make_org()
    user = services.organizations.create_user(system, "race@example.test", org_id=org.id, role=Role.MEMBER)
    created = [
        services.personal_tokens.create(
            system, name=f"t{i}", scopes=["tokens:read"], org_id=org.id, user_id=user.id
        )
        for i in range(TOKENS)
    ]
    with subprocess.Popen(  # noqa: S603 - our own script, with this interpreter
        [sys.executable, str(WORKER), settings.database_url, settings.secret_key, str(THREADS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as worker:
        try:
            assert worker.stdin is not None and worker.stdout is not None
            worker.stdin.write(json.dumps([c.plain for c in created]) + "\n")
            worker.stdin.flush()
            assert json.loads(worker.stdout.readline()) == {"ready": True}
            assert _ask(worker, "sync")["live"] == list(range(TOKENS))

            revoked_by: dict[int, float] = {}  # token index → when the worker had caught up with it
            for start in range(0, TOKENS, BATCH):
                batch = range(start, start + BATCH)
                for index in batch:
                    services.personal_tokens.revoke(system, created[index].token.id)
                synced = _ask(worker, "sync")
                assert synced["live"] == list(range(start + BATCH, TOKENS))
                for index in batch:
                    revoked_by[index] = synced["synced_at"]

            result = _ask(worker, "stop")
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait(timeout=30)

    stale = [(t0, i) for t0, i in result["successes"] if t0 > revoked_by[i]]
    assert result["lookups"] >= 2_000, "too few lookups to have raced anything"
    assert stale == [], f"{len(stale)} lookups answered with a revoked token after the process knew"
