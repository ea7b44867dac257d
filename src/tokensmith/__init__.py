"""Tokensmith: a self-hostable API credentials service.

The base package holds only what a platform's own API needs: :mod:`tokensmith.client`
(call an API with Tokensmith credentials) and :mod:`tokensmith.verify` (check Tokensmith
tokens). The server lives in the other sub-packages and needs the ``server`` extra.
"""

__version__ = "0.1.0"
