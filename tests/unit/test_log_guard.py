"""The suite's log guard (tests/conftest.py) really catches a secret in a log record."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import LogLeakGuard
from tokensmith.core import secrets as secret_format

log = logging.getLogger("tokensmith.tests.leak")


def test_guard_catches_a_minted_secret_in_a_log_record(log_guard: LogLeakGuard) -> None:
    secret = secret_format.generate("tss_")  # tracked: every generate() is wrapped
    log.info("client authenticated with %s", secret)
    with pytest.raises(AssertionError, match="contain a secret minted in this test"):
        log_guard.check()
    log_guard.forget_records()  # so the teardown check passes


def test_guard_catches_a_secret_in_a_traceback(log_guard: LogLeakGuard) -> None:
    secret = secret_format.generate("tsp_")
    try:
        raise ValueError(f"bad token {secret}")
    except ValueError:
        log.exception("failed")  # the message is harmless, the traceback is not
    with pytest.raises(AssertionError):
        log_guard.check()
    log_guard.forget_records()


def test_guard_catches_an_authorization_header_value(log_guard: LogLeakGuard) -> None:
    header = log_guard.remember_basic("abcdefghijklmnopqrstuvwxyz", secret_format.generate("tss_"))
    log.debug("headers: authorization=%s", header.split(" ", 1)[1])
    assert log_guard.leaks()
    log_guard.forget_records()


def test_guard_passes_harmless_records_and_hints(log_guard: LogLeakGuard) -> None:
    secret = secret_format.generate("tss_")
    log.warning("credential secret regenerated: %s", secret_format.hint(secret, "tss_"))
    assert log_guard.records, "the guard must see the record"
    assert log_guard.leaks() == []


def test_guard_sees_debug_records_of_any_logger(log_guard: LogLeakGuard) -> None:
    secret = secret_format.generate("tsa_")
    logging.getLogger("some.library").debug("%s", secret)
    assert len(log_guard.leaks()) == 1
    log_guard.forget_records()
