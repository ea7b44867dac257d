"""What leaves the server: one description of each record, shared by every door.

The management API serves these models as its response bodies (and its OpenAPI document names them),
the MCP tools publish them as their output schemas, and the CLI prints them with ``--json``. The SDK's
frozen dataclasses (:mod:`tokensmith.client.models`) read the same shapes; a test holds their fields and
nullability to these models' JSON schemas. The shapes are listed in ``docs/contracts.md``.

One module per record: :mod:`~tokensmith.wire.tokens`, :mod:`~tokensmith.wire.credentials`,
:mod:`~tokensmith.wire.orgs`, :mod:`~tokensmith.wire.audit`, :mod:`~tokensmith.wire.me`, and the list
envelope :mod:`~tokensmith.wire.page`. Pydantic lives here, at the edge; services never see these.
"""
