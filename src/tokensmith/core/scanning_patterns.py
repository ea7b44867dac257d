"""Secret-scanning rules for the secrets this deployment mints (gitleaks, TruffleHog).

Every Tokensmith secret is ``<prefix><30 base62><6 base62 checksum>``
(:mod:`tokensmith.token_format`), so one regular expression per prefix finds candidates and the
checksum — CRC32 of ``prefix + body``, as 6 base62 digits ``0-9A-Za-z``, zero-padded — tells a
real secret from a look-alike offline. Neither scanner evaluates a CRC in its rule language, so
the rules carry the check as a description; a platform validates matches with
:func:`tokensmith.token_format.is_well_formed` (the verifier package, no server needed) or sends
them to ``POST /api/credentials/revoke-leaked``, which ignores what does not check out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tokensmith.token_format import BODY_LENGTH, CHECKSUM_LENGTH

FORMATS = ("gitleaks", "trufflehog")
CHECKSUM_NOTE = (
    "the last 6 characters are CRC32(prefix + body) in base62 (0-9A-Za-z), zero-padded; "
    "validate with tokensmith.token_format.is_well_formed"
)


@dataclass(frozen=True)
class SecretKind:
    id: str
    description: str
    prefix: str

    @property
    def regex(self) -> str:
        """The secret as a whole word: prefix, 30 + 6 base62 characters, and no more."""
        return (
            rf"\b({re.escape(self.prefix)}[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}})(?:[^0-9A-Za-z]|$)"
        )


def kinds(
    *, client_secret_prefix: str, personal_token_prefix: str, opaque_token_prefix: str
) -> list[SecretKind]:
    return [
        SecretKind(
            "tokensmith-client-secret",
            "Tokensmith API credential (OAuth client) secret",
            client_secret_prefix,
        ),
        SecretKind(
            "tokensmith-personal-access-token", "Tokensmith personal access token", personal_token_prefix
        ),
        SecretKind("tokensmith-access-token", "Tokensmith opaque access token", opaque_token_prefix),
    ]


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def gitleaks(secret_kinds: list[SecretKind], *, revoke_url: str) -> str:
    """A gitleaks configuration (``gitleaks detect --config FILE``), extending the default rules."""
    lines = [
        "# Tokensmith secret-scanning rules for gitleaks (https://github.com/gitleaks/gitleaks).",
        f"# Checksum: {CHECKSUM_NOTE}.",
        f"# Report findings: POST a JSON array of them to {revoke_url}",
        'title = "Tokensmith"',
        "",
        "[extend]",
        "useDefault = true",
    ]
    for kind in secret_kinds:
        lines += [
            "",
            "[[rules]]",
            f"id = {_toml_string(kind.id)}",
            f"description = {_toml_string(kind.description + ' (' + CHECKSUM_NOTE + ')')}",
            f"regex = {_toml_string(kind.regex)}",
            "secretGroup = 1",
            "entropy = 3.0",
            f"keywords = [{_toml_string(kind.prefix)}]",
        ]
    return "\n".join(lines) + "\n"


def trufflehog(secret_kinds: list[SecretKind], *, revoke_url: str) -> str:
    """TruffleHog custom detectors (``trufflehog filesystem . --config FILE``)."""

    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"  # a YAML single-quoted scalar

    lines = [
        "# Tokensmith custom detectors for TruffleHog (https://github.com/trufflesecurity/trufflehog).",
        f"# Checksum: {CHECKSUM_NOTE}.",
        f"# Report findings: POST a JSON array of them to {revoke_url}",
        "detectors:",
    ]
    for kind in secret_kinds:
        lines += [
            f"  - name: {quoted(kind.id)}",
            f"    description: {quoted(kind.description)}",
            "    keywords:",
            f"      - {quoted(kind.prefix)}",
            "    regex:",
            f"      secret: {quoted(kind.regex)}",
        ]
    return "\n".join(lines) + "\n"
