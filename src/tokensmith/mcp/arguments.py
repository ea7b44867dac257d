"""What the MCP tools' arguments are (each one's JSON schema, validated before a tool runs) and the
hints each kind of tool carries (read, create, destroy)."""

from __future__ import annotations

from typing import Annotated

from mcp.types import ToolAnnotations
from pydantic import Field

Limit = Annotated[int, Field(ge=1, le=200, description="Page size (1-200).")]
Cursor = Annotated[str | None, Field(max_length=200, description="`next_cursor` of the previous page.")]
Name = Annotated[str, Field(min_length=1, max_length=200, description="A label to recognise it by.")]
Description = Annotated[str, Field(max_length=2000, description="Optional longer description.")]
Scopes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(
        min_length=1,
        max_length=100,
        description='Scopes to grant, e.g. ["api/access"]; at most the scopes of the token you are using.',
    ),
]
ObjectId = Annotated[str, Field(min_length=1, max_length=64)]

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
CREATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
DESTROY = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)
