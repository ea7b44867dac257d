"""``run_demo`` builds a verifier for the given issuer and serves the demo app with uvicorn."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tokensmith.demo import run_demo
from tokensmith.verify import Verifier


def test_run_demo_serves_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: FastAPI, *, host: str, port: int) -> None:
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    run_demo("https://auth.example.test", "https://api.example.test", "127.0.0.2", 9001, "cid", "tss_secret")
    assert seen["host"] == "127.0.0.2" and seen["port"] == 9001
    verifier = seen["app"].state.tokensmith_verifier
    assert isinstance(verifier, Verifier)
    assert (verifier.issuer, verifier.audience) == ("https://auth.example.test", "https://api.example.test")
    paths = {route.path for route in seen["app"].routes}
    assert paths >= {
        "/api/projects",
        "/api/projects/{project_id}",
        "/api/voices",
        "/api/members",
        "/api/whoami",
    }
