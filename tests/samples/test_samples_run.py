"""Each rendered sample, run for real against a local stand-in token endpoint.

The stand-in checks HTTP Basic credentials and the form exactly as Tokensmith's ``/oauth2/token`` does
(RFC 6749 §2.3.1, §4.4.2). The secret is full of shell, Ruby and JavaScript metacharacters, so a
sample that escaped it wrongly would fail authentication (or run a command). Samples whose language is
not installed are skipped.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus

import pytest

from tests.samples.running import REQUIRES, run_sample
from tokensmith.samples import Sample, render_samples

CLIENT_ID = "5tsnlq2xvbkq3c1ipvsltm5n97"
SECRET = "tss_s3cr'et\"$(touch pwned)`id`#{1}${HOME}\\x"
SCOPE = "project:read voice:read"
EXP = 1_900_000_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


ACCESS_TOKEN = ".".join(
    [_b64(b'{"alg":"ES256","typ":"at+jwt","kid":"k1"}'), _b64(json.dumps({"exp": EXP}).encode()), "c2ln"]
)


@dataclass
class TokenServer:
    url: str
    seen: list[dict[str, object]] = field(default_factory=list)


@pytest.fixture(scope="module")
def server() -> Iterator[TokenServer]:
    state = TokenServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            form = parse_qs(
                self.rfile.read(int(self.headers["Content-Length"])).decode(), keep_blank_values=True
            )
            authorization = self.headers.get("Authorization", "")
            state.seen.append({"path": self.path, "form": form, "authorization": authorization})
            # As Tokensmith decodes Basic (RFC 6749 §2.3.1): base64, split at ":", form-decode each part.
            pair = base64.b64decode(authorization.removeprefix("Basic ")).decode() if authorization else ":"
            client_id, _, secret = pair.partition(":")
            if (
                self.path != "/oauth2/token"
                or self.headers["Content-Type"] != "application/x-www-form-urlencoded"
            ):
                return self._answer(400, {"error": "invalid_request"})
            if (unquote_plus(client_id), unquote_plus(secret)) != (CLIENT_ID, SECRET):
                return self._answer(401, {"error": "invalid_client", "error_description": "Bad credentials."})
            if form.get("grant_type") != ["client_credentials"] or form.get("scope") != [SCOPE]:
                return self._answer(400, {"error": "invalid_request"})
            self._answer(
                200,
                {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": SCOPE},
            )

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/api/whoami" and self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}":
                return self._answer(200, {"subject": CLIENT_ID})
            self._answer(401, {"error": "invalid_token"})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def samples(server: TokenServer, secret: str) -> dict[str, Sample]:
    rendered = render_samples(
        f"{server.url}/oauth2/token", CLIENT_ID, SCOPE, secret, api_url=f"{server.url}/api/whoami"
    )
    return {s.language_id: s for s in rendered}


@pytest.mark.parametrize("language_id", sorted(REQUIRES))
def test_sample_gets_a_token(language_id: str, server: TokenServer, tmp_path: Path) -> None:
    result = run_sample(samples(server, SECRET)[language_id], tmp_path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    if language_id == "python-sdk":
        assert body == {"subject": CLIENT_ID}
    else:
        assert body["access_token"] == ACCESS_TOKEN
        if language_id != "curl":
            assert "2030-03-17" in result.stderr  # the exp read from the JWT payload
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("language_id", sorted(REQUIRES))
def test_sample_fails_loudly_on_a_wrong_secret(language_id: str, server: TokenServer, tmp_path: Path) -> None:
    result = run_sample(samples(server, "tss_wrong")[language_id], tmp_path)
    assert result.returncode != 0
    assert "invalid_client" in result.stdout + result.stderr
