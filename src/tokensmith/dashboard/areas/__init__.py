"""The dashboard's page areas: one module each, each listing its own routes in ``ROUTES``."""
