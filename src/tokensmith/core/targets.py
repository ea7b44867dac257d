"""Where a token may be used: the ``audience`` and ``resource`` a client asks for (RFC 8693 §2.1,
RFC 8707 §2), checked against the one audience this deployment's tokens carry.

Tokensmith stamps every access token with the same ``aud`` (``TOKENSMITH_AUDIENCE``, by default
the issuer). A request naming any other audience or resource would get a token its resource server
refuses, or worse one it was never meant for: RFC 8693 §2.2.2 answers ``invalid_target``.
"""

from __future__ import annotations

from tokensmith.core.errors import InvalidTarget

__all__ = ["check_targets"]


def check_targets(audience: str | None, resource: str | None, served: str) -> None:
    """``invalid_target`` unless each of ``audience`` / ``resource`` that was given is ``served``.

    ``served`` is the deployment's audience. An empty value counts as given (and wrong): a client
    that sends the parameter means something by it.
    """
    if audience is not None and audience != served:
        raise InvalidTarget("This server issues tokens only for its own audience.")
    if resource is not None and resource != served:
        raise InvalidTarget("This server issues tokens only for its own resource.")
