"""The problem responses every management route documents (RFC 9457, ``application/problem+json``).

The error renderer itself is :mod:`tokensmith.http.errors`; this only describes it in OpenAPI.
"""

from __future__ import annotations

from typing import Any

from tokensmith.http.management.schemas import Problem

PROBLEM_MEDIA_TYPE = "application/problem+json"
_DESCRIPTIONS = {
    400: "Invalid request (`validation_failed`, `immutable_field`, `scope_not_allowed`; "
    "`invalid_request` for a repeated JSON member or a token in the URL)",
    401: "No valid credentials (`unauthenticated`, `invalid_token`); `WWW-Authenticate: Bearer` carries "
    '`error="invalid_token"` when a token was presented (RFC 6750 §3)',
    403: "Not allowed (`forbidden`, `insufficient_scope` — with `WWW-Authenticate: Bearer "
    'error="insufficient_scope", scope="…"` —, `scope_not_allowed`, `policy_forbids`, '
    "`lifetime_not_allowed`, `csrf_failed`)",
    404: "No such object, or one the caller may not see (`not_found`)",
    409: "Conflict (`conflict`, `last_owner`)",
    413: "The request body is too large (`payload_too_large`)",
    429: "Too many failed authentications from this address (`rate_limited`); see `Retry-After`",
    503: "Storage temporarily unavailable (`unavailable`)",
}
COMMON = (400, 401, 403, 404, 429, 503)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these statuses, each a Problem."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status]} for status in statuses}


def problem_only_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Post-process the OpenAPI document: error responses are ``application/problem+json``
    only, and FastAPI's unused 422 (validation errors answer 400 here) is dropped."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return schema
