"""The dashboard session cookie, which the management API also accepts (OWASP Session Management).

``HttpOnly``, ``SameSite=Lax``, ``Path=/``; in production ``Secure`` and the ``__Host-`` prefix
(RFC 6265bis §4.1.3.2: no ``Domain``, so no sibling host can set it).
"""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.settings import Settings


def session_cookie_name(settings: Settings) -> str:
    return "__Host-tokensmith_session" if settings.is_production else "tokensmith_session"


def set_session_cookie(response: Response, settings: Settings, session_id: str, max_age: int) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        session_id,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings), path="/", httponly=True, samesite="lax", secure=settings.is_production
    )
