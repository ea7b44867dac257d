"""The ``tokensmith`` command: one module per noun, wired here."""

from __future__ import annotations

import typer

from tokensmith.cli.credentials import credentials
from tokensmith.cli.demo import demo_api
from tokensmith.cli.keys import keys
from tokensmith.cli.mcp import mcp
from tokensmith.cli.members import members
from tokensmith.cli.orgs import orgs, users
from tokensmith.cli.policy import policy
from tokensmith.cli.resources import resources
from tokensmith.cli.scanning_patterns import scanning_patterns_command
from tokensmith.cli.serve import migrate_command, serve
from tokensmith.cli.token import token
from tokensmith.cli.tokens import tokens
from tokensmith.cli.webhooks import webhooks

app = typer.Typer(
    name="tokensmith",
    help="Tokensmith: API credentials service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve)
app.command("migrate")(migrate_command)
app.command("token")(token)
app.command("mcp")(mcp)
app.command("demo-api")(demo_api)
app.command("scanning-patterns")(scanning_patterns_command)
orgs.add_typer(members, name="members")
orgs.add_typer(policy, name="policy")
app.add_typer(orgs, name="orgs")
app.add_typer(tokens, name="tokens")
app.add_typer(users, name="users")
app.add_typer(credentials, name="credentials")
app.add_typer(keys, name="keys")
app.add_typer(webhooks, name="webhooks")
app.add_typer(resources, name="resources")


def main() -> None:
    app()
