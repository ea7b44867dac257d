"""The other process of ``test_storage_lookup_race.py``: hammers personal-token lookups.

Run as ``python lookup_race_worker.py DATABASE_URL SECRET_KEY THREADS`` with the plain tokens
as a JSON list on the first line of stdin. Worker threads look every token up, again and
again, and note each *success* with the (system-wide) monotonic time the lookup started. The
main thread answers commands, one JSON line each:

``sync``  wait until this process has learnt of every commit made before the command, then
          look each token up once more; answer ``{"synced_at": t, "live": [indexes]}``.
``stop``  stop the threads; answer ``{"lookups": n, "successes": [[t0, index], …]}``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time

from tokensmith.services.container import build_services
from tokensmith.settings import Settings
from tokensmith.storage.change_feed import change_feed


def main() -> None:
    database_url, secret_key, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tokens: list[str] = json.loads(sys.stdin.readline())
    services = build_services(
        Settings(database_url=database_url, secret_key=secret_key, env="development"),
        issuer="http://tokensmith.test",
        run_migrations=False,
    )
    feed = change_feed(services.database)
    stop = threading.Event()
    successes: list[tuple[float, int]] = []
    lookups = [0] * threads

    def hammer(slot: int) -> None:
        order = list(range(len(tokens)))
        rng = random.Random(slot)  # noqa: S311 - an order to look tokens up in, not a secret
        while not stop.is_set():
            rng.shuffle(order)
            for index in order:
                started = time.monotonic()
                if services.personal_tokens.authenticate(tokens[index], record_use=False) is not None:
                    successes.append((started, index))
                lookups[slot] += 1
                if stop.is_set():
                    return

    workers = [threading.Thread(target=hammer, args=(slot,), daemon=True) for slot in range(threads)]
    for worker in workers:
        worker.start()
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "sync":
                if not feed.sync(30.0):
                    print(json.dumps({"error": "the change feed did not catch up"}), flush=True)
                    continue
                synced_at = time.monotonic()
                live = [
                    i
                    for i, token in enumerate(tokens)
                    if services.personal_tokens.authenticate(token, record_use=False) is not None
                ]
                print(json.dumps({"synced_at": synced_at, "live": live}), flush=True)
            elif command == "stop":
                stop.set()
                for worker in workers:
                    worker.join()
                print(json.dumps({"lookups": sum(lookups), "successes": successes}), flush=True)
                return
    finally:
        stop.set()
        services.close()


if __name__ == "__main__":
    main()
