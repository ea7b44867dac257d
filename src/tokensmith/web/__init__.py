"""Browser-facing pieces shared by the HTTP API and the dashboard (no route lives here)."""
