"""Retiring a master key, end to end through the ``tokensmith`` command and real ``tokensmith
serve`` processes: new key first with the old one in ``TOKENSMITH_OLD_SECRET_KEYS`` →
``keys rewrap`` → use (hashes move) and rotate what is never used → ``keys status`` says
ready → empty ``TOKENSMITH_OLD_SECRET_KEYS``; nothing breaks. A wrong key stops ``serve`` and
every command with one line."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from tests.cli.conftest import SECRET_KEY
from tests.live_serve import ServeProcesses, free_port

NEW_KEY = "the-new-master-key-" + "n" * 30
ROTATED = {"TOKENSMITH_SECRET_KEY": NEW_KEY, "TOKENSMITH_OLD_SECRET_KEYS": SECRET_KEY}
RETIRED = {"TOKENSMITH_SECRET_KEY": NEW_KEY, "TOKENSMITH_OLD_SECRET_KEYS": ""}
WRONG_KEY_LINE = "error: TOKENSMITH_SECRET_KEY cannot decrypt the signing keys (kid "


def ok(result: Any) -> Any:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.json()


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def serve(serve_processes: ServeProcesses) -> Callable[[dict[str, str]], Any]:
    """``serve(env)`` starts ``tokensmith serve`` with those master-key settings and returns
    ``(url, stop)``; ``stop()`` sends SIGTERM (shutdown flushes pending writes) and waits."""

    def start(keys: dict[str, str]) -> tuple[str, Callable[[], None]]:
        served = serve_processes.start(
            secret_key=keys["TOKENSMITH_SECRET_KEY"],
            old_secret_keys=keys.get("TOKENSMITH_OLD_SECRET_KEYS", ""),
        )

        def stop() -> None:
            # uvicorn re-raises SIGTERM after its graceful shutdown (which flushed the pending writes).
            assert serve_processes.stop(served) in (0, -signal.SIGTERM)

        return served.url, stop

    return start


def _token(url: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        url + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10
    )


def _verify_from_jwks(url: str, token: str) -> dict[str, Any]:
    """Verify with the served JWKS, the algorithm taken from the key, never from the token."""
    keys = {k["kid"]: k for k in httpx.get(url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
    jwk = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token,
        jwt.PyJWK.from_dict(jwk).key,
        algorithms=[jwk["alg"]],
        options={"verify_aud": False, "verify_iss": False},
    )


def test_the_old_master_key_can_be_retired(cli: Any, serve: Callable[[dict[str, str]], Any]) -> None:
    # Before: everything made under the old key.
    ok(cli("orgs", "create", "Acme", "--json"))
    ok(cli("users", "create", "dev@example.test", "--org", "Acme", "--role", "admin", "--json"))
    used = ok(cli("credentials", "create", "--org", "Acme", "--name", "used", "--json"))
    idle = ok(cli("credentials", "create", "--org", "Acme", "--name", "idle", "--json"))
    pat = ok(cli("tokens", "create", "--user", "dev@example.test", "--name", "laptop", "--json"))["token"]
    url, stop = serve({"TOKENSMITH_SECRET_KEY": SECRET_KEY})
    response = _token(url, used["client_id"], used["client_secret"])
    assert response.status_code == 200, response.text
    old_jwt = response.json()["access_token"]
    stop()

    # 1. New key first, the old one listed.
    status = ok(cli("keys", "status", "--json", env=ROTATED))
    assert status["ready_to_retire"] is False
    assert status["signing_keys_to_rewrap"] == 1
    current, old = status["master_keys"]
    assert (current["role"], old["role"]) == ("current", "old")
    assert old["hashes"]["client_secret"] == 2 and old["hashes"]["personal_token"] == 1
    assert current["hashes"]["client_secret"] == 0 and old["signing_keys"] == 1

    # 2. Rewrap: one JSON object on stdout, progress on stderr; idempotent.
    rewrapped = cli("keys", "rewrap", "--json", env=ROTATED)
    assert ok(rewrapped) == {
        "total": 1,
        "rewrapped": 1,
        "already_current": 0,
        "master_key_id": current["signing_key_id"],
        "rewrapped_kids": [jwt.get_unverified_header(old_jwt)["kid"]],
    }
    assert "1 of 1 signing key(s) re-encrypted" in rewrapped.stderr
    assert ok(cli("keys", "rewrap", "--json", env=ROTATED))["rewrapped"] == 0

    # 3. Serve with both keys: the secrets in use move to the new key.
    url, stop = serve(ROTATED)
    assert _token(url, used["client_id"], used["client_secret"]).status_code == 200
    me = httpx.get(url + "/api/me", headers={"Authorization": f"Bearer {pat}"}, timeout=10)
    assert me.status_code == 200, me.text
    stop()  # SIGTERM flushes the pending moves
    status = ok(cli("keys", "status", "--json", env=ROTATED))
    assert status["signing_keys_to_rewrap"] == 0
    assert status["master_keys"][1]["hashes"]["personal_token"] == 0
    assert status["master_keys"][1]["hashes"]["client_secret"] == 1  # the idle one…
    assert [(h["kind"], h["label"]) for h in status["holders"]] == [("client_secret", idle["client_id"])]
    assert status["ready_to_retire"] is False
    text = cli("keys", "status", env=ROTATED)
    assert idle["client_id"] in text.stdout and "not ready" in text.stdout

    # …is never used again: the operator rotates it.
    fresh_idle = ok(cli("credentials", "rotate", idle["client_id"], "--json", env=ROTATED))
    status = ok(cli("keys", "status", "--json", env=ROTATED))
    assert status["ready_to_retire"] is True and status["hashes_under_old_keys"] == 0

    # 4. The old key goes: nothing breaks.
    assert "ready: TOKENSMITH_OLD_SECRET_KEYS can be emptied" in cli("keys", "status", env=ROTATED).stdout
    url, stop = serve(RETIRED)
    assert _verify_from_jwks(url, old_jwt)["client_id"] == used["client_id"]
    fresh = _token(url, used["client_id"], used["client_secret"])
    assert fresh.status_code == 200, fresh.text
    _verify_from_jwks(url, fresh.json()["access_token"])
    assert _token(url, idle["client_id"], fresh_idle["client_secret"]).status_code == 200
    assert _token(url, idle["client_id"], idle["client_secret"]).status_code == 401
    me = httpx.get(url + "/api/me", headers={"Authorization": f"Bearer {pat}"}, timeout=10)
    assert me.status_code == 200, me.text
    stop()
    assert ok(cli("keys", "status", "--json", env=RETIRED))["master_keys"][0]["hashes"]["personal_token"] == 1

    # And now the *old* key alone is the wrong key: one line, exit 1, for serve and commands.
    old_only = {"TOKENSMITH_SECRET_KEY": SECRET_KEY, "TOKENSMITH_OLD_SECRET_KEYS": ""}
    result = cli("serve", "--port", str(free_port()), env=old_only)
    assert result.returncode == 1
    assert one_error_line(result.stderr).startswith(WRONG_KEY_LINE)
    listed = cli("keys", "list", env=old_only)
    assert listed.returncode == 1 and one_error_line(listed.stderr).startswith(WRONG_KEY_LINE)
    assert NEW_KEY not in result.stderr + listed.stderr and SECRET_KEY not in result.stderr + listed.stderr


def test_a_wrong_master_key_stops_serve_with_one_line(cli: Any) -> None:
    ok(cli("keys", "list", "--json"))  # the first signing key, under the test key
    wrong = {"TOKENSMITH_SECRET_KEY": NEW_KEY}
    result = cli("serve", "--port", str(free_port()), env=wrong)
    assert result.returncode == 1 and result.stdout == ""
    line = one_error_line(result.stderr)
    assert line.startswith(WRONG_KEY_LINE) and line.endswith(
        "set the key they were made with, or list it in TOKENSMITH_OLD_SECRET_KEYS"
    )
    for command in (("keys", "status"), ("keys", "rewrap"), ("orgs", "list")):
        failed = cli(*command, env=wrong)
        assert failed.returncode == 1, command
        assert one_error_line(failed.stderr).startswith(WRONG_KEY_LINE), command
