"""Secret: the wrapper that keeps client secrets and tokens out of reprs, logs and exceptions."""

from __future__ import annotations

import pytest

from tokensmith.client.secret import Secret


def test_a_secret_never_prints_itself() -> None:
    secret = Secret("tss_value")
    assert repr(secret) == "Secret('**********')"
    assert str(secret) == "Secret('**********')"
    assert f"{secret}" == "Secret('**********')"
    assert repr({"s": secret}) == "{'s': Secret('**********')}"
    assert secret.reveal() == "tss_value"


def test_secrets_compare_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"


@pytest.mark.parametrize("value", ["", None, 3])
def test_a_secret_must_be_a_non_empty_string(value: object) -> None:
    with pytest.raises(ValueError, match="a secret must be a non-empty string"):
        Secret(value)  # type: ignore[arg-type]
