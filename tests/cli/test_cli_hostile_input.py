"""Hostile text on the CLI door: control characters in names, descriptions and emails are
refused with one line on stderr, and nothing is stored (SQLite and PostgreSQL). The OS refuses
NUL in arguments, so the CLI meets the others (ESC, DEL, CR, LF, C1)."""

from __future__ import annotations

from typing import Any

import pytest

from tokensmith.core.errors import NotFound

HOSTILE = ["esc\x1b[2Jcleared", "cr\rreturn", "lf\nline", "del\x7f", "c1\x9bcsi"]


def _refused(result: Any) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("name", HOSTILE)
def test_an_organisation_name_with_control_characters_is_refused(cli: Any, services: Any, name: str) -> None:
    line = _refused(cli("orgs", "create", name, "--json"))
    assert "control characters" in line
    with pytest.raises(NotFound):
        services.organizations.by_name(name.strip())


@pytest.mark.parametrize("name", HOSTILE)
def test_a_credential_name_with_control_characters_is_refused(cli: Any, services: Any, name: str) -> None:
    assert cli("orgs", "create", "Acme", "--json").returncode == 0
    line = _refused(cli("credentials", "create", "--org", "Acme", "--name", name, "--json"))
    assert "control characters" in line


@pytest.mark.parametrize("email", ["dev\x1b@example.test", "dev@exam\x7fple.test", "dev@example.test\x85"])
def test_an_email_with_control_characters_is_refused(cli: Any, email: str) -> None:
    assert cli("orgs", "create", "Acme", "--json").returncode == 0
    line = _refused(
        cli(
            "users",
            "create",
            email,
            "--org",
            "Acme",
            "--role",
            "member",
            "--password-stdin",
            input="long enough pw\n",
        )
    )
    assert "control characters" in line or "not an email address" in line
