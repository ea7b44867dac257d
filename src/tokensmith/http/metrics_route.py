"""``GET /metrics``: the Prometheus text exposition of :mod:`tokensmith.metrics`.

Who may read it is a setting, checked in this order:

1. ``TOKENSMITH_METRICS=false``: no route at all (404, like any unknown path).
2. ``TOKENSMITH_METRICS_ALLOWED_ADDRESSES`` (IPs or CIDR networks; default loopback only): the
   caller's address, as :func:`tokensmith.web.client_ip.client_ip` resolves it (the socket peer,
   or behind trusted proxies the entry they appended), must be in one of them, else 403
   ``forbidden``. Empty: any address.
3. ``TOKENSMITH_METRICS_BEARER_TOKEN``: when set, ``Authorization: Bearer <token>`` (RFC 6750
   §2.1) must carry it, compared in constant time, else 401 ``unauthenticated`` with
   ``WWW-Authenticate: Bearer`` (``error="invalid_token"`` when a wrong one was sent, §3.1).

Errors are RFC 9457 problem details, like the management API's.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tokensmith.http.errors import problem_response
from tokensmith.services.container import Services
from tokensmith.web.client_ip import client_ip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> list[Network]:
    """``"127.0.0.1/32, 10.0.0.0/8"`` → networks; a bare address is a one-address network."""
    return [ipaddress.ip_network(item.strip(), strict=False) for item in value.split(",") if item.strip()]


def _allowed(ip: str | None, networks: list[Network]) -> bool:
    if not networks:
        return True
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics_routes(services: Services) -> list[BaseRoute]:
    settings = services.settings
    if not services.metrics.enabled:
        return []
    networks = parse_networks(settings.metrics_allowed_addresses)
    expected = settings.metrics_bearer_token.encode()

    async def metrics(request: Request) -> Response:
        ip = client_ip(request, settings.trust_forwarded_for, settings.forwarded_hops)
        if not _allowed(ip, networks):
            return problem_response(403, "forbidden", "Not allowed", "metrics are not served to this address")
        if expected:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not presented.strip():
                return problem_response(
                    401,
                    "unauthenticated",
                    "Authentication required",
                    "metrics need a bearer token",
                    {"WWW-Authenticate": 'Bearer realm="tokensmith-metrics"'},
                )
            if not hmac.compare_digest(presented.strip().encode(), expected):
                return problem_response(
                    401,
                    "invalid_token",
                    "Authentication required",
                    "the bearer token is not the metrics token",
                    {"WWW-Authenticate": 'Bearer realm="tokensmith-metrics", error="invalid_token"'},
                )
        # In multi-process mode this reads every worker's files: off the event loop.
        body, content_type = await run_in_threadpool(services.metrics.render)
        return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    return [Route("/metrics", metrics, methods=["GET"])]
