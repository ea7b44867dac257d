"""Every "Show API Instructions" sample, rendered for a real credential and run against the live server.

The token samples (curl, Python, JavaScript, Ruby, Go) must print a token response whose access token the
demo API accepts; the SDK sample calls the demo API itself. A language missing from the machine skips
its sample on a laptop and fails in CI (``.ci/run`` installs them all).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.samples.running import REQUIRES, run_sample
from tokensmith.core.records import Organization
from tokensmith.samples import Sample, render_samples

if TYPE_CHECKING:
    from tests.conftest import LiveServer, MadeCredential
    from tests.e2e.conftest import DemoApi

# The samples exercise the HTTP surface; one database backend is enough (storage tests cover both).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCOPE = "project:read voice:read"


def rendered(server: LiveServer, demo: DemoApi, credential: MadeCredential, secret: str) -> dict[str, Sample]:
    samples = render_samples(
        f"{server.url}/oauth2/token", credential.client_id, SCOPE, secret, api_url=f"{demo.url}/api/whoami"
    )
    return {sample.language_id: sample for sample in samples}


@pytest.mark.parametrize("language_id", sorted(REQUIRES))
def test_sample_runs_against_the_live_server(
    language_id: str,
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
    tmp_path: Path,
) -> None:
    demo = demo_api()
    credential = make_credential(org=org, scopes=SCOPE.split())
    result = run_sample(
        rendered(server, demo, credential, credential.client_secret)[language_id], tmp_path, fail_in_ci=True
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    if language_id == "python-sdk":
        whoami = body  # the SDK sample called the demo API with its token
    else:
        assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
        assert set(body["scope"].split()) == set(SCOPE.split())
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        voices = httpx.get(f"{demo.url}/api/voices", headers=headers, timeout=10)
        assert voices.status_code == 200, voices.text
        whoami = httpx.get(f"{demo.url}/api/whoami", headers=headers, timeout=10).json()
    assert (whoami["subject"], whoami["subject_kind"]) == (credential.client_id, "client")
    assert whoami["organization_id"] == org.id


@pytest.mark.parametrize("language_id", sorted(REQUIRES))
def test_sample_with_a_wrong_secret_fails_with_invalid_client(
    language_id: str,
    server: LiveServer,
    demo_api: Callable[..., DemoApi],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
    tmp_path: Path,
) -> None:
    demo = demo_api()
    credential = make_credential(org=org, scopes=SCOPE.split())
    wrong = "tss_" + "0" * 36
    result = run_sample(rendered(server, demo, credential, wrong)[language_id], tmp_path, fail_in_ci=True)
    assert result.returncode != 0
    assert "invalid_client" in result.stdout + result.stderr
