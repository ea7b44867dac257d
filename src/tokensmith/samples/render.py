"""Render the "Show API Instructions" code samples from their templates (``samples/templates/``).

Every template is a complete program; ``{{ name }}`` placeholders are replaced by a literal of the
sample's language (:mod:`tokensmith.samples.literals`), so a value can never escape its quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from urllib.parse import quote_plus

from tokensmith.samples.literals import LITERALS

__all__ = ["API_URL_PLACEHOLDER", "LANGUAGES", "SECRET_PLACEHOLDER", "Language", "Sample", "render_samples"]

SECRET_PLACEHOLDER = "YOUR_CLIENT_SECRET"
API_URL_PLACEHOLDER = "https://api.example.com/api/whoami"
_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")


@dataclass(frozen=True, slots=True)
class Sample:
    """One rendered sample: ``code`` saved as ``filename`` runs with ``run_command``.

    Every sample prints the JSON token response on stdout and exits 0, or exits non-zero on failure;
    except ``python-sdk``, which calls ``api_url`` with the token and prints the API's answer.
    """

    language_id: str
    label: str
    filename: str
    code: str
    run_command: str


@dataclass(frozen=True, slots=True)
class Language:
    language_id: str
    label: str
    template: str
    literal: str
    filename: str
    run_command: str


LANGUAGES = (
    Language("curl", "curl", "curl.sh.tmpl", "shell", "get_token.sh", "sh get_token.sh"),
    Language(
        "python", "Python (requests)", "python.py.tmpl", "python", "get_token.py", "python3 get_token.py"
    ),
    Language(
        "python-sdk",
        "Python (Tokensmith SDK)",
        "python_sdk.py.tmpl",
        "python",
        "call_api.py",
        "python3 call_api.py",
    ),
    Language(
        "javascript",
        "JavaScript (Node 18+)",
        "javascript.mjs.tmpl",
        "javascript",
        "get_token.mjs",
        "node get_token.mjs",
    ),
    Language("ruby", "Ruby (net/http)", "ruby.rb.tmpl", "ruby", "get_token.rb", "ruby get_token.rb"),
    Language("go", "Go (net/http)", "go.go.tmpl", "go", "get_token.go", "go run get_token.go"),
)


def _template(name: str) -> str:
    return (files("tokensmith.samples") / "templates" / name).read_text(encoding="utf-8")


def render(template: str, values: dict[str, str], literal: str) -> str:
    """Fill ``template``'s placeholders with ``values`` as ``literal``-language literals."""
    quote = LITERALS[literal]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"template placeholder {name!r} has no value")
        return quote(values[name])

    return _PLACEHOLDER.sub(replace, template)


def render_samples(
    token_url: str,
    client_id: str,
    scope: str,
    client_secret: str | None = None,
    *,
    api_url: str | None = None,
) -> list[Sample]:
    """The samples for this deployment and credential, in display order.

    Without ``client_secret`` the samples carry :data:`SECRET_PLACEHOLDER` (the dashboard never has the
    secret after it was shown once). ``api_url`` is the API the SDK sample calls.
    """
    values = {
        "token_url": token_url,
        "client_id": client_id,
        "client_secret": SECRET_PLACEHOLDER if client_secret is None else client_secret,
        "scope": scope,
        "api_url": api_url or API_URL_PLACEHOLDER,
    }
    # For samples that cannot encode at run time (curl's -u): RFC 6749 §2.3.1 form-encoding, done here.
    values["client_id_form"] = quote_plus(values["client_id"])
    values["client_secret_form"] = quote_plus(values["client_secret"])
    return [
        Sample(
            language_id=language.language_id,
            label=language.label,
            filename=language.filename,
            code=render(_template(language.template), values, language.literal),
            run_command=language.run_command,
        )
        for language in LANGUAGES
    ]
