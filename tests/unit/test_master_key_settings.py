"""The master keys never show in the settings' ``repr`` (logs, tracebacks, debuggers)."""

from __future__ import annotations

from tokensmith.settings import Settings

CURRENT = "current-master-key-" + "c" * 30
OLD = "old-master-key-" + "o" * 30


def test_master_keys_are_not_in_the_settings_repr() -> None:
    settings = Settings(secret_key=CURRENT, old_secret_keys=OLD, database_url="sqlite://")
    shown = repr(settings) + str(settings)
    assert CURRENT not in shown and OLD not in shown
    assert "sqlite://" in shown  # the repr itself still works
    assert settings.secret_key == CURRENT  # the value is unchanged for the code that derives subkeys
