"""``POST /api/credentials/revoke-leaked``: revoke secrets found in public (no authentication).

The body is a JSON array of up to 1,000 strings; ``?source=`` names where they were found (a
scanner, a repository URL) and goes into the audit events. The answer is always ``202`` with the
number of strings received — never which matched (:mod:`tokensmith.services.leak_response`).
Rate limited per address (``TOKENSMITH_LEAK_REVOCATION_PER_MINUTE``); a deployment turns it off
with ``TOKENSMITH_LEAK_REVOCATION_ENABLED=false`` (then 404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Query, Request

from tokensmith.core.errors import NotFound, PayloadTooLarge, TooManyRequests
from tokensmith.http.management.area import area_router
from tokensmith.http.management.auth import ServicesDep
from tokensmith.http.management.problems import problems
from tokensmith.services.leak_response import MAX_CANDIDATES, MAX_SOURCE_LENGTH
from tokensmith.web.blocking import call_blocking
from tokensmith.web.client_ip import client_ip
from tokensmith.wire.webhooks import LeakReportAccepted

router = area_router("leak response", "/api/credentials")
RATE_LIMIT_NAME = "revoke-leaked"


@router.post(
    "/revoke-leaked",
    status_code=202,
    response_model=LeakReportAccepted,
    responses=problems(413),
    summary="Report secrets found in public: live ones are revoked at once (no authentication)",
    openapi_extra={"security": []},
)
async def revoke_leaked(
    request: Request,
    services: ServicesDep,
    candidates: Annotated[list[str], Body(description=f"Up to {MAX_CANDIDATES} strings found in public.")],
    source: Annotated[
        str, Query(min_length=1, max_length=MAX_SOURCE_LENGTH, pattern=r"^[\x21-\x7e ]+$")
    ] = "unspecified",
) -> LeakReportAccepted:
    settings = services.settings
    if not settings.leak_revocation_enabled:
        raise NotFound("leaked-secret revocation is turned off on this deployment")
    ip = client_ip(request, settings.trust_forwarded_for, settings.forwarded_hops)
    wait = await call_blocking(
        services.database,
        services.limiter.request_refused,
        RATE_LIMIT_NAME,
        ip,
        settings.leak_revocation_per_minute,
    )
    if wait is not None:
        raise TooManyRequests(wait, "too many leak reports from this address; retry later")
    if len(candidates) > MAX_CANDIDATES:
        raise PayloadTooLarge(f"at most {MAX_CANDIDATES} strings per report")
    await call_blocking(services.database, services.leaks.revoke, candidates, source=source, ip=ip)
    return LeakReportAccepted(received=len(candidates))
