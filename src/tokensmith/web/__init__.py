"""What every ASGI adapter (the HTTP API, the dashboard, the MCP server) shares: running the
blocking service layer from async handlers (:mod:`~tokensmith.web.blocking`), the caller's
address (:mod:`~tokensmith.web.client_ip`), the session cookie and the CSRF defences."""
