"""Fixtures for the verifier: a fake issuer on a mock transport, and a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokensmith.verify import Verifier
from tokensmith.verify.testing import FakeIssuer


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def verifier(issuer: FakeIssuer) -> Iterator[Verifier]:
    with issuer.verifier() as verifier:
        yield verifier
