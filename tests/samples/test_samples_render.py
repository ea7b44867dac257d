"""Rendering the "Show API Instructions" samples, and escaping each value for its language."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tokensmith.samples import API_URL_PLACEHOLDER, SECRET_PLACEHOLDER, render_samples
from tokensmith.samples.literals import LITERALS

TOKEN_URL = "https://auth.example.test/oauth2/token"
CLIENT_ID = "5tsnlq2xvbkq3c1ipvsltm5n97"
SECRET = "tss_0123456789abcdefghijABCDEFGHIJ0a1b2c"

HOSTILE = [
    "plain",
    "",
    "it's",
    'say "hi"',
    "back\\slash\\",
    "$(touch pwned) `id` ${HOME} #{1 + 1} %s {{ scope }}",
    "new\nline\ttab\r",
    "ünïcødé ✓ 𝄞 \u2028",
    "'; rm -rf / #",
]


def test_languages_and_order() -> None:
    samples = render_samples(TOKEN_URL, CLIENT_ID, "api/access", SECRET)
    assert [s.language_id for s in samples] == ["curl", "python", "python-sdk", "javascript", "ruby", "go"]
    assert len({s.filename for s in samples}) == 6
    for sample in samples:
        assert "{{" not in sample.code, sample.language_id
        assert sample.filename in sample.run_command


def test_values_are_filled_in() -> None:
    for sample in render_samples(TOKEN_URL, CLIENT_ID, "project:read voice:read", SECRET):
        for value in (TOKEN_URL, CLIENT_ID, "project:read voice:read", SECRET):
            assert value in sample.code, (sample.language_id, value)
        if sample.language_id != "python-sdk":  # the SDK sends the grant itself
            assert "client_credentials" in sample.code


def test_secret_placeholder_when_not_given() -> None:
    for sample in render_samples(TOKEN_URL, CLIENT_ID, "api/access"):
        assert SECRET_PLACEHOLDER in sample.code
        assert "tss_" not in sample.code


def test_sdk_sample_calls_the_given_api() -> None:
    by_id = {
        s.language_id: s
        for s in render_samples(TOKEN_URL, CLIENT_ID, "api/access", api_url="https://x.test/a")
    }
    assert "ClientCredentialsAuth(CLIENT_ID, CLIENT_SECRET, token_url=TOKEN_URL" in by_id["python-sdk"].code
    assert "API_URL = 'https://x.test/a'" in by_id["python-sdk"].code
    default = render_samples(TOKEN_URL, CLIENT_ID, "api/access")[2]
    assert API_URL_PLACEHOLDER in default.code


def test_rendered_python_parses_with_hostile_values() -> None:
    for value in HOSTILE:
        for sample in render_samples(value, value, value, value):
            if sample.language_id.startswith("python"):
                tree = ast.parse(sample.code)
                constants = {
                    node.targets[0].id: ast.literal_eval(node.value)  # type: ignore[attr-defined]
                    for node in tree.body
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                }
                assert constants["TOKEN_URL"] == constants["CLIENT_SECRET"] == value


def test_nul_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        render_samples(TOKEN_URL, CLIENT_ID, "api/access", "a\x00b")


@pytest.mark.parametrize("value", HOSTILE)
def test_python_literal_round_trips(value: str) -> None:
    assert ast.literal_eval(LITERALS["python"](value)) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_shell_word_round_trips(value: str, tmp_path: Path) -> None:
    script = f"printf %s {LITERALS['shell'](value)}"
    out = subprocess.run(["sh", "-c", script], capture_output=True, cwd=tmp_path, check=True)  # noqa: S603, S607
    assert out.stdout.decode() == value
    assert not (tmp_path / "pwned").exists()


def _needs(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed")
    return path


@pytest.mark.parametrize("value", HOSTILE)
def test_javascript_literal_round_trips(value: str) -> None:
    node = _needs("node")
    script = f"process.stdout.write(JSON.stringify({LITERALS['javascript'](value)}))"
    out = subprocess.run([node, "-e", script], capture_output=True, check=True)  # noqa: S603
    assert json.loads(out.stdout) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_ruby_literal_round_trips(value: str) -> None:
    ruby = _needs("ruby")
    script = f"require 'json'; print JSON.generate([{LITERALS['ruby'](value)}])"
    out = subprocess.run([ruby, "-e", script], capture_output=True, check=True)  # noqa: S603
    assert json.loads(out.stdout) == [value]


def test_go_literals_round_trip(tmp_path: Path) -> None:
    go = _needs("go")
    entries = ",\n".join(LITERALS["go"](v) for v in HOSTILE)
    program = f"""package main

import ("encoding/json"; "os")

func main() {{
	values := []string{{
{entries},
	}}
	json.NewEncoder(os.Stdout).Encode(values)
}}
"""
    (tmp_path / "main.go").write_text(program, encoding="utf-8")
    out = subprocess.run([go, "run", "main.go"], capture_output=True, cwd=tmp_path, check=True, timeout=180)  # noqa: S603
    assert json.loads(out.stdout) == HOSTILE
