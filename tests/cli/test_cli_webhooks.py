"""``tokensmith webhooks …`` and ``tokensmith scanning-patterns`` as a subprocess: the command-line
contract (``webhooks create --json`` prints exactly ``{"id", "secret", "events"}``), the SSRF
refusal, a delivery sent by ``webhooks deliver`` and verified by the receiver, and scanner rules
that match real secrets of the configured prefixes and nothing else."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.webhook_receiver import WebhookReceiver
from tokensmith.core import secrets as secret_format


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_webhooks_create_follows_the_contract(cli: Callable[..., Any]) -> None:
    assert cli("orgs", "create", "hooks-org", "--json").returncode == 0
    created = cli(
        "webhooks",
        "create",
        "--org",
        "hooks-org",
        "--url",
        "https://hooks.example.com/tokensmith",
        "--events",
        "token.revoked credential.created",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    body = created.json()
    assert set(body) == {"id", "secret", "events"}
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["credential.created", "token.revoked"]

    listed = cli("webhooks", "list", "--org", "hooks-org", "--json")
    assert [e["id"] for e in listed.json()] == [body["id"]]
    assert body["secret"] not in listed.stdout

    deleted = cli("webhooks", "delete", body["id"], "--org", "hooks-org", "--json")
    assert deleted.json() == {"id": body["id"], "deleted": True}
    assert cli("webhooks", "list", "--org", "hooks-org", "--json").json() == []


def test_webhooks_create_refuses_private_addresses_and_unknown_events(cli: Callable[..., Any]) -> None:
    cli("orgs", "create", "ssrf-org", "--json")
    refused = cli(
        "webhooks",
        "create",
        "--org",
        "ssrf-org",
        "--url",
        "http://169.254.169.254/",
        "--events",
        "token.revoked",
        "--json",
    )
    assert (refused.returncode, refused.stdout) == (1, "")
    assert "private" in refused.stderr and "Traceback" not in refused.stderr
    unknown = cli(
        "webhooks",
        "create",
        "--org",
        "ssrf-org",
        "--url",
        "https://x.example.com/",
        "--events",
        "nope",
        "--json",
    )
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert "unknown event" in unknown.stderr


def test_webhooks_deliver_sends_due_deliveries_once(
    cli: Callable[..., Any], receiver: WebhookReceiver
) -> None:
    private = {"TOKENSMITH_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true"}
    cli("orgs", "create", "deliver-org", "--json")
    created = cli(
        "webhooks",
        "create",
        "--org",
        "deliver-org",
        "--url",
        receiver.url,
        "--events",
        "credential.created",
        "--json",
        env=private,
    ).json()
    receiver.set_secret(created["secret"])
    made = cli("credentials", "create", "--org", "deliver-org", "--name", "ci", "--json").json()

    sent = cli("webhooks", "deliver", "--json", env=private)
    assert sent.json() == {"delivered": 1, "failed": 0, "given_up": 0}
    assert cli("webhooks", "deliver", "--json", env=private).json() == {
        "delivered": 0,
        "failed": 0,
        "given_up": 0,
    }
    (got,) = receiver.delivered()
    assert got.type == "credential.created"
    assert got.payload["data"]["target"]["id"] == made["client_id"]
    assert made["client_secret"] not in str(got.payload)
    listed = cli("webhooks", "deliveries", created["id"], "--org", "deliver-org", "--json").json()
    assert [(d["id"], d["status"]) for d in listed] == [(got.id, "delivered")]


def _trufflehog_rules(text: str) -> dict[str, tuple[str, list[str]]]:
    """name → (regex, keywords) of TruffleHog's custom-detector YAML as printed (single-quoted scalars)."""
    assert text.splitlines()[3] == "detectors:"

    def scalar(line: str) -> str:
        value = line.split(": ", 1)[1] if ": " in line else line.split("- ", 1)[1]
        assert value.startswith("'") and value.endswith("'"), line
        return value[1:-1].replace("''", "'")

    rules: dict[str, tuple[str, list[str]]] = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("  - name: "):
            block = lines[index : index + 6]
            assert block[2] == "    keywords:" and block[4] == "    regex:", block
            rules[scalar(line)] = (scalar(block[5]), [scalar(block[3])])
    return rules


def _samples(prefix: str) -> tuple[str, list[str]]:
    """A real secret of ``prefix`` in a line of code, and look-alikes that must not match whole."""
    real = secret_format.generate(prefix)
    return real, [real + "X", "x" + real, real[:-1]]


@pytest.mark.parametrize("scanner", ["gitleaks", "trufflehog"])
def test_scanning_patterns_match_the_configured_prefixes(cli: Callable[..., Any], scanner: str) -> None:
    env = {"TOKENSMITH_PERSONAL_TOKEN_PREFIX": "glsa_", "TOKENSMITH_ISSUER": "https://auth.example.com"}
    printed = cli("scanning-patterns", "--format", scanner, env=env)
    assert printed.returncode == 0, printed.stderr
    if scanner == "gitleaks":
        rules = {r["id"]: (r["regex"], r["keywords"]) for r in tomllib.loads(printed.stdout)["rules"]}
    else:
        rules = _trufflehog_rules(printed.stdout)
    assert set(rules) == {
        "tokensmith-client-secret",
        "tokensmith-personal-access-token",
        "tokensmith-access-token",
    }
    assert "https://auth.example.com/api/credentials/revoke-leaked" in printed.stdout
    assert "CRC32" in printed.stdout
    for rule_id, prefix in (
        ("tokensmith-client-secret", "tss_"),
        ("tokensmith-personal-access-token", "glsa_"),
        ("tokensmith-access-token", "tsa_"),
    ):
        regex, keywords = rules[rule_id]
        assert keywords == [prefix]
        real, look_alikes = _samples(prefix)
        found = re.search(regex, f'API_TOKEN = "{real}"\n')
        assert found is not None and found.group(1) == real
        assert re.search(regex, f"token={real}") is not None
        for other in look_alikes:
            whole = re.search(regex, f" {other} ")
            assert whole is None or whole.group(1) != other


def test_scanning_patterns_refuses_an_unknown_format(cli: Callable[..., Any]) -> None:
    refused = cli("scanning-patterns", "--format", "semgrep")
    assert refused.returncode == 2 and refused.stdout == ""
