"""``tokensmith credentials create … --require-dpop --json`` (PRODUCT.md's contract): the credential
requires DPoP proofs (RFC 9449 §5) and says so as ``"require_dpop": true``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.test_cli_commands import ok
from tokensmith.core.errors import InvalidDPoPProof
from tokensmith.services.container import Services

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_require_dpop_is_set_and_printed(cli: Any, services: Services) -> None:
    ok(cli("orgs", "create", "Acme", "--json"))
    created = ok(cli("credentials", "create", "--org", "Acme", "--name", "bound", "--require-dpop", "--json"))
    assert created["require_dpop"] is True
    assert {"client_id", "client_secret", "kind", "scopes"} <= set(created)
    credential, org = services.credentials.authenticate(created["client_id"], created["client_secret"])
    assert credential.require_dpop
    with pytest.raises(InvalidDPoPProof):
        services.issuance.for_credential(credential, org, frozenset())
    plain = ok(cli("credentials", "create", "--org", "Acme", "--name", "plain", "--json"))
    assert plain["require_dpop"] is False
