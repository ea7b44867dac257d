"""Connection-level protection of a live ``tokensmith serve``,
driven over raw sockets: header cap (431), header and body deadlines (408), idle connections
closed, bounded connections (503), and every route's body capped before it is read (413).

Liveness bounds only ("closed within about twice the timeout"), never a performance figure."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import httpx
import pytest

from tests.http.http_support import SQLITE_ONLY
from tests.live_serve import (
    ServeProcesses,
    body_of,
    headers_of,
    read_response,
    read_until_closed,
    status_of,
)

pytestmark = SQLITE_ONLY  # nothing here depends on the database
HUNDRED_MB = 100 * 1024 * 1024


def _request(path: str, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _send_all_or_reset(sock: socket.socket, data: bytes) -> None:
    """Send ``data``; the server may close (it refused) before it has all of it."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


# -- header size -----------------------------------------------------------------------------


def test_request_heads_over_the_cap_are_refused_with_431(serve_processes: ServeProcesses) -> None:
    served = serve_processes.start(max_header_bytes="8192")
    with served.connect() as sock:  # just under the cap: served
        sock.sendall(_request("/healthz", "X-Pad: " + "a" * 7000, "Connection: close"))
        assert status_of(read_until_closed(sock, 10)) == 200
    with served.connect() as sock:  # one header over the cap, complete
        sock.sendall(_request("/healthz", "X-Pad: " + "a" * 9000))
        response = read_until_closed(sock, 10)
        assert status_of(response) == 431
        assert headers_of(response)["connection"] == "close"
    with served.connect() as sock:  # many small headers adding up over the cap
        sock.sendall(_request("/healthz", *(f"X-Pad-{n}: {'b' * 90}" for n in range(100))))
        assert status_of(read_until_closed(sock, 10)) == 431
    with served.connect() as sock:  # a head that never ends: refused once past the cap, not buffered
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
        _send_all_or_reset(sock, b"a" * (16 * 1024 * 1024))
        assert status_of(read_until_closed(sock, 10)) == 431
    assert httpx.get(served.url + "/healthz", timeout=10).status_code == 200


# -- deadlines -------------------------------------------------------------------------------


def test_a_head_sent_one_byte_at_a_time_is_cut_with_408(serve_processes: ServeProcesses) -> None:
    timeout = 2.0
    served = serve_processes.start(header_timeout_seconds=str(timeout), keep_alive_timeout_seconds="60")
    head = _request("/healthz", *(f"X-Slow-{n}: {'c' * 20}" for n in range(20)))
    with served.connect() as sock:
        sock.settimeout(0.25)
        started = time.monotonic()
        received = b""
        for byte in head:
            try:
                sock.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            received += chunk
            if not chunk or b"\r\n\r\n" in received or time.monotonic() - started > 4 * timeout:
                break
        elapsed = time.monotonic() - started
    assert status_of(received) == 408, received
    assert headers_of(received)["connection"] == "close"
    assert elapsed < 2 * timeout + 1, elapsed  # liveness: long before the head could have finished


def test_idle_connections_are_closed_before_and_between_requests(serve_processes: ServeProcesses) -> None:
    keep_alive = 1
    served = serve_processes.start(keep_alive_timeout_seconds=str(keep_alive), header_timeout_seconds="30")
    with served.connect() as sock:  # never sends a byte: closed silently
        started = time.monotonic()
        assert read_until_closed(sock, 10 * keep_alive) == b""
        assert time.monotonic() - started < 2 * keep_alive + 1
    with served.connect() as sock:  # one request, then idle on a kept-alive connection
        sock.sendall(_request("/healthz"))
        first = read_response(sock, 10)
        assert status_of(first) == 200 and "connection" not in headers_of(first)
        started = time.monotonic()
        assert read_until_closed(sock, 10 * keep_alive) == b""
        assert time.monotonic() - started < 2 * keep_alive + 1


def test_a_trickling_body_is_cut_with_408(serve_processes: ServeProcesses) -> None:
    timeout = 2.0
    served = serve_processes.start(body_timeout_seconds=str(timeout))
    with served.connect() as sock:
        sock.sendall(
            _request("/api/tokens", "Content-Type: application/json", "Content-Length: 200", method="POST")
        )
        sock.settimeout(0.25)
        started = time.monotonic()
        received = b""
        for _ in range(200):
            try:
                sock.send(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            received += chunk
            if not chunk or b"\r\n\r\n" in received:
                break
        elapsed = time.monotonic() - started
    assert status_of(received) == 408, received
    assert elapsed < 2 * timeout + 1, elapsed


# -- connection count ------------------------------------------------------------------------


def test_connections_beyond_the_limit_get_503_and_the_server_recovers(
    serve_processes: ServeProcesses,
) -> None:
    served = serve_processes.start(
        max_connections="3", header_timeout_seconds="60", keep_alive_timeout_seconds="60"
    )
    held = [served.connect() for _ in range(3)]
    try:
        for sock in held:  # three slow clients, each mid-head
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0")
        time.sleep(0.5)  # let the server accept them all
        with served.connect() as extra:
            extra.sendall(_request("/healthz"))
            refused = read_until_closed(extra, 10)  # promptly: long before any timeout
        assert status_of(refused) == 503
        assert headers_of(refused)["connection"] == "close"
        held.pop().close()
        held.pop().close()
        time.sleep(0.5)
        with served.connect() as sock:  # one held + this one: within the limit again
            sock.sendall(_request("/healthz", "Connection: close"))
            assert status_of(read_until_closed(sock, 10)) == 200
    finally:
        for sock in held:
            sock.close()


# -- body caps -------------------------------------------------------------------------------


def test_oversize_declared_bodies_are_refused_before_a_byte_is_read(serve_processes: ServeProcesses) -> None:
    """Content-Length over the route's cap: 413 at once, while only the head has been sent — the
    body (100 MB, unauthenticated) is never read, and nothing authenticates first."""
    served = serve_processes.start()
    cases = {
        "/api/tokens": ("application/json", "application/problem+json"),
        "/mcp": ("application/json", "application/problem+json"),
        "/oauth2/token": ("application/x-www-form-urlencoded", "application/json"),
        "/api/v1/token": ("application/json", "application/json"),
        "/sign-in": ("application/x-www-form-urlencoded", "text/plain; charset=utf-8"),
    }
    for path, (sent_type, answered_type) in cases.items():
        with served.connect() as sock:
            head = _request(
                path, f"Content-Type: {sent_type}", f"Content-Length: {HUNDRED_MB}", method="POST"
            )
            sock.sendall(head)
            response = read_until_closed(sock, 10)
        assert status_of(response) == 413, (path, response)
        headers = headers_of(response)
        assert headers["content-type"] == answered_type, (path, headers)
        body = body_of(response)
        if path.startswith("/oauth2/"):
            assert json.loads(body) == {
                "error": "invalid_request",
                "error_description": "The request body exceeds 16384 bytes.",
            }
            assert headers["cache-control"] == "no-store"
        elif path == "/api/v1/token":  # seed 003's dialect spells it errorDescription
            assert json.loads(body) == {
                "error": "invalid_request",
                "errorDescription": "The request body exceeds 16384 bytes.",
            }
        elif answered_type == "application/problem+json":
            problem = json.loads(body)
            assert problem == {
                "type": "https://tokensmith.dev/problems/payload_too_large",
                "title": "Payload too large",
                "status": 413,
                "detail": "The request body exceeds 65536 bytes.",
                "code": "payload_too_large",
            }
            assert "www-authenticate" not in headers  # refused before authentication
        else:
            assert body == b"The request body is too large."


def test_the_caps_are_settings(serve_processes: ServeProcesses) -> None:
    served = serve_processes.start(max_api_body_bytes="2048", max_form_body_bytes="4096")
    for path, limit, sent_type in (
        ("/api/tokens", 2048, "application/json"),
        ("/sign-in", 4096, "application/x-www-form-urlencoded"),
    ):
        with httpx.Client(base_url=served.url, timeout=10) as http:
            over = http.post(path, content=b"x" * (limit + 1), headers={"Content-Type": sent_type})
            assert over.status_code == 413, (path, over.text)
            within = http.post(path, content=b"x" * limit, headers={"Content-Type": sent_type})
            assert within.status_code != 413, (path, within.text)
    unauthenticated = httpx.post(served.url + "/api/tokens", json={"name": "n"}, timeout=10)
    assert unauthenticated.status_code == 401  # under the cap, authentication runs as before


@pytest.mark.parametrize(
    ("path", "sent_type", "code"),
    [
        ("/api/tokens", "application/json", "payload_too_large"),
        ("/oauth2/token", "application/x-www-form-urlencoded", "invalid_request"),
        ("/sign-in", "application/x-www-form-urlencoded", None),
    ],
)
def test_chunked_bodies_are_counted_and_cut_at_the_cap(
    serve_processes: ServeProcesses, path: str, sent_type: str, code: str | None
) -> None:
    served = serve_processes.start()
    with served.connect() as sock:
        sock.sendall(
            _request(
                path,
                f"Content-Type: {sent_type}",
                f"Origin: {served.url}",  # the dashboard refuses cross-site forms before reading them
                "Transfer-Encoding: chunked",
                method="POST",
            )
        )
        chunk = b"a" * 8192
        for _ in range(64):  # up to 512 KiB, more than every cap; the server stops us on the way
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
        try:
            response = read_until_closed(sock, 10)
        except TimeoutError:
            pytest.fail("the server kept the connection open after a body over the cap")
    assert status_of(response) == 413, response[:300]
    if code is not None:
        payload = json.loads(body_of(response))
        assert payload.get("code", payload.get("error")) == code


def test_hundreds_of_slow_and_idle_connections_are_all_closed_and_others_served(
    serve_processes: ServeProcesses,
) -> None:
    """The outside check's scenario: 270 slow or idle connections, all still open after 27 s."""
    timeout = 2.0
    served = serve_processes.start(header_timeout_seconds=str(timeout), keep_alive_timeout_seconds="2")
    idle = [served.connect() for _ in range(135)]
    slow = [served.connect() for _ in range(135)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        with served.connect() as sock:  # meanwhile, an ordinary client is served
            sock.sendall(_request("/healthz", "Connection: close"))
            assert status_of(read_until_closed(sock, 10)) == 200
        deadline = time.monotonic() + 2 * timeout + 5
        for sock in idle:
            assert read_until_closed(sock, max(0.1, deadline - time.monotonic())) == b""
        for sock in slow:
            assert status_of(read_until_closed(sock, max(0.1, deadline - time.monotonic()))) == 408
    finally:
        for sock in idle + slow:
            sock.close()
