"""``tokensmith demo-api``: serve the demo resource API with uvicorn."""

from __future__ import annotations

from tokensmith.demo.app import create_demo_app
from tokensmith.verify import Verifier

__all__ = ["run_demo"]


def run_demo(
    issuer: str,
    audience: str,
    host: str = "127.0.0.1",
    port: int = 8001,
    introspection_client_id: str | None = None,
    introspection_client_secret: str | None = None,
    strict: bool = False,
) -> None:
    """Serve the demo API until interrupted; tokens are checked against ``issuer`` for ``audience``.

    Give an introspection credential (any client ID and secret of the same organisation) to accept
    personal (``tsp_``) and opaque (``tsa_``) tokens too; with ``strict`` JWTs are introspected as well,
    so a revoked JWT is refused (see :class:`~tokensmith.verify.Verifier`).
    """
    import uvicorn

    verifier = Verifier(
        issuer,
        audience,
        introspection_client_id=introspection_client_id,
        introspection_client_secret=introspection_client_secret,
        strict=strict,
    )
    uvicorn.run(create_demo_app(verifier), host=host, port=port)
