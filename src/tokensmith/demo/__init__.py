"""A small demo resource API (projects, voices, members) guarded only by :mod:`tokensmith.verify`.

Run it against a Tokensmith server with ``tokensmith demo-api --issuer URL --audience AUD --port P``
(or :func:`run_demo`); build it in-process with :func:`create_demo_app`. See
:mod:`tokensmith.demo.policy` for the scope and resource rules.
"""

from tokensmith.demo.app import create_demo_app
from tokensmith.demo.server import run_demo

__all__ = ["create_demo_app", "run_demo"]
