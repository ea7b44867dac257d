"""The resource registry (RFC 8707): which APIs tokens can be issued for, and their scopes.

Three resources exist without any configuration, derived from the settings on every start (so they
follow the issuer, and are never stored):

* ``management`` — this server's management API, ``{issuer}/api``; the management scopes.
* ``mcp`` — the MCP server, ``{issuer}/mcp``: the very ``resource`` its RFC 9728 metadata
  advertises; the scopes its tools check.
* ``platform`` — the platform's own API (the seeds' API; the demo API), named by
  ``TOKENSMITH_AUDIENCE`` (the issuer when unset): the audience every token without a
  ``resource`` has always carried; every scope of the registry but Tokensmith's own.

The operator adds more (``tokensmith resources create``, or ``POST /api/resources`` with a token
the operator granted ``resources:write``); every change is audited. :meth:`ResourceService.resolve`
is what every grant calls with the ``resource`` (and, for token exchange, ``audience``) it was
sent: ``None`` when none was, else the resource, or ``invalid_target``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.exc import IntegrityError

from tokensmith.core import ids, permissions
from tokensmith.core.actors import Actor, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, Conflict, InvalidTarget, NotFound
from tokensmith.core.labels import clean_name
from tokensmith.core.resources import Resource, canonical_uri, single_target, uri_problem
from tokensmith.core.scopes import INTROSPECT_ALL_SCOPE, RESOURCES_ADMIN_SCOPE
from tokensmith.services.audit import AuditLog, Target
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.resources import ResourceRepository

__all__ = ["MANAGEMENT_PATH", "MCP_PATH", "MCP_SCOPES", "ResourceService", "builtin_resources"]

MANAGEMENT_PATH = "/api"
MCP_PATH = "/mcp"
#: The scopes the MCP server's tools check (``tokensmith.mcp.tools.REQUIRED_SCOPES``).
MCP_SCOPES = frozenset(
    {
        "credentials:read",
        "credentials:write",
        "tokens:read",
        "tokens:write",
        "webhooks:read",
        "webhooks:write",
    }
)
#: Scopes only this server's own API understands: never part of the platform API's.
_TOKENSMITH_ONLY = frozenset(
    {
        "tokens:read",
        "tokens:write",
        "credentials:read",
        "credentials:write",
        "audit:read",
        "webhooks:read",
        "webhooks:write",
        INTROSPECT_ALL_SCOPE,
        RESOURCES_ADMIN_SCOPE,
    }
)
MAX_RESOURCES = 1000


def builtin_resources(
    issuer: str, platform_audience: str, registry: Mapping[str, str], management_scopes: Iterable[str]
) -> tuple[Resource, ...]:
    """The three resources every deployment has (see the module docstring), in that order. Their
    URIs are kept byte for byte (``/mcp``'s is what its metadata says; the platform's is the ``aud``
    tokens have always carried); lookups compare canonical forms."""
    base = issuer.rstrip("/")
    known = frozenset(registry)
    return (
        Resource(
            id="management",
            name="Tokensmith management API",
            uri=base + MANAGEMENT_PATH,
            scopes=(frozenset(management_scopes) | {RESOURCES_ADMIN_SCOPE}) & known,
            builtin=True,
        ),
        Resource(
            id="mcp",
            name="Tokensmith MCP server",
            uri=base + MCP_PATH,
            scopes=MCP_SCOPES & known,
            builtin=True,
        ),
        Resource(
            id="platform",
            name="Platform API",
            uri=platform_audience,
            scopes=known - _TOKENSMITH_ONLY,
            builtin=True,
        ),
    )


def _target(resource: Resource) -> Target:
    """A registered resource, in the audit log (the registry is global: no organisation)."""
    return Target(None, "resource", resource.id, resource.name)


class ResourceService:
    """Create, list, get and delete resources (audited), and resolve a token request's target."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        audit: AuditLog,
        *,
        builtins: Sequence[Resource],
        scope_registry: Mapping[str, str],
    ) -> None:
        self._db = database
        self._clock = clock
        self._audit = audit
        self._registry = scope_registry
        self.builtins: tuple[Resource, ...] = tuple(builtins)
        #: By canonical URI; the first built-in wins should two share one (an audience set to ``/mcp``'s).
        self._builtin_by_uri = {canonical_uri(r.uri): r for r in reversed(self.builtins)}
        self._builtin_by_id = {resource.id: resource for resource in self.builtins}

    def builtin(self, resource_id: str) -> Resource:
        """One of the built-in resources (``management``, ``mcp``, ``platform``)."""
        return self._builtin_by_id[resource_id]

    def accepted_audiences(self) -> dict[Transport, frozenset[str]]:
        """The ``aud`` each of this server's doors accepts in a JWT access token: ``/mcp`` only its
        own resource URI (the MCP authorization specification's audience rule); the management API
        and the dashboard their own, and the default audience every token without a ``resource``
        carries (as they always have)."""
        own = frozenset({self.builtin("management").uri, self.builtin("platform").uri})
        return {
            Transport.MCP: frozenset({self.builtin("mcp").uri}),
            Transport.API: own,
            Transport.DASHBOARD: own,
        }

    # -- token requests ---------------------------------------------------------------------------

    def resolve(self, requested: Sequence[str | None]) -> Resource | None:
        """The resource a token request names (RFC 8707 §2), or ``None`` when it names none.

        ``requested`` holds the request's ``resource`` (and for token exchange its ``audience``,
        RFC 8693 §2.1); ``None`` entries are parameters not sent. Malformed, unknown, or two
        different ones: ``invalid_target``. A built-in resource costs no database read.
        """
        uri = single_target(requested)
        if uri is None:
            return None
        found = self._builtin_by_uri.get(uri)
        if found is None:
            with self._db.transaction() as connection:
                found = ResourceRepository(connection).by_uri(uri)
        if found is None:
            raise InvalidTarget("The resource is not one this server issues tokens for.")
        return found

    # -- the registry -----------------------------------------------------------------------------

    def uris(self) -> list[str]:
        """Every resource's URI, built-in ones first: RFC 9728 §4's ``protected_resources``."""
        with self._db.transaction() as connection:
            return [r.uri for r in (*self.builtins, *ResourceRepository(connection).all())]

    def list(self, actor: Actor) -> list[Resource]:
        """Every resource, built-in ones first. Any signed-in caller may read them: they are the
        same facts the RFC 9728 metadata publishes."""
        with self._db.transaction() as connection:
            return [*self.builtins, *ResourceRepository(connection).all()]

    def get(self, actor: Actor, resource_id: str) -> Resource:
        builtin = self._builtin_by_id.get(resource_id)
        if builtin is not None:
            return builtin
        with self._db.transaction() as connection:
            found = ResourceRepository(connection).get(resource_id)
        if found is None:
            raise NotFound("no such resource")
        return found

    def create(self, actor: Actor, *, name: str, uri: str, scopes: Iterable[str] = ()) -> Resource:
        """Register an API (RFC 8707 §2: an absolute URI without fragment or query)."""
        permissions.require_operator_scope(actor, RESOURCES_ADMIN_SCOPE, "add resources")
        name = clean_name(name)
        problem = uri_problem(uri, registering=True)
        if problem is not None:
            raise BadRequest(problem, field="uri")
        uri = canonical_uri(uri)
        wanted = frozenset(scopes)
        unknown = sorted(wanted - frozenset(self._registry))
        if unknown:
            raise BadRequest(
                f"unknown scope(s): {' '.join(unknown)}", code="scope_not_allowed", field="scopes"
            )
        if uri in self._builtin_by_uri:
            raise Conflict(f"{uri} is a built-in resource", code="resource_exists")
        resource = Resource(id=ids.new_id(), name=name, uri=uri, scopes=wanted, created_at=self._clock.now())
        try:
            with self._db.transaction() as connection:
                repo = ResourceRepository(connection)
                if len(repo.all()) >= MAX_RESOURCES:
                    raise Conflict(
                        f"at most {MAX_RESOURCES} resources can be registered", code="limit_reached"
                    )
                repo.insert(resource)
                details = {"uri": uri, "scopes": sorted(wanted)}
                self._audit.about(connection, actor, "resource.created", _target(resource), details)
        except IntegrityError:
            raise Conflict(f"the resource {uri} already exists", code="resource_exists") from None
        return resource

    def delete(self, actor: Actor, resource_id: str) -> None:
        """Remove an operator-added resource: no new token is issued for it. Tokens already issued
        for it stay valid until they expire (their resource server decides whether to accept them)."""
        permissions.require_operator_scope(actor, RESOURCES_ADMIN_SCOPE, "delete resources")
        if resource_id in self._builtin_by_id:
            raise Conflict("a built-in resource cannot be deleted", code="resource_builtin")
        with self._db.transaction() as connection:
            repo = ResourceRepository(connection)
            found = repo.get(resource_id)
            if found is None or not repo.delete(resource_id):
                raise NotFound("no such resource")
            self._audit.about(connection, actor, "resource.deleted", _target(found), {"uri": found.uri})
