"""The web dashboard: server-rendered pages (Jinja2) over :mod:`tokensmith.services`.

:func:`dashboard_routes` returns the routes ``create_app`` appends after the OAuth and
management routes. No business rule lives here: every page reads and changes through a service.
"""

from tokensmith.dashboard.routes import dashboard_routes

__all__ = ["dashboard_routes"]
