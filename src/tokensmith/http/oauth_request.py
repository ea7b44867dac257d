"""Strict parsing of OAuth requests (RFC 6749 §2.3.1, §3.2, Appendix B).

Framework-light: it reads a Starlette request into plain values. Every malformation is
``invalid_request`` — never a 500:

* the body is read up to a cap, must be UTF-8 and ``application/x-www-form-urlencoded``
  (or JSON on the JSON dialects);
* no parameter may repeat (§3.2) — a repeated ``resource`` (RFC 8707 §2) is ``invalid_target``,
  one token being for one resource — none may come from the query string;
* Basic credentials are base64, then UTF-8, then split at the first ``:``, then each half
  form-decoded (§2.3.1 — so ``%3A``, ``%25`` and ``+`` mean what they say); a stray ``%``,
  escapes that are not UTF-8, or control characters (CR, LF, NUL) are ``invalid_request``;
* a JSON dialect's member that is ``null`` is ``invalid_request``, not "absent";
* exactly one client-authentication mechanism.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request

from tokensmith.core.client_assertion import ASSERTION_TYPE
from tokensmith.core.errors import InvalidClient, InvalidRequest, InvalidTarget

MAX_PARAMETERS = 32
V = TypeVar("V")


class BodyTooLarge(InvalidRequest):
    """``invalid_request`` with RFC 9110 §15.5.14's status: the body exceeds the cap."""

    status = 413


@dataclass(frozen=True)
class ClientAuth:
    client_id: str
    client_secret: str
    #: True when the credentials came in an Authorization: Basic header.
    basic: bool
    #: RFC 7523 §2.2 ``private_key_jwt``: the signed ``client_assertion`` (then ``client_secret`` is
    #: empty, and ``client_id`` too when the body names none: the assertion's ``iss`` does).
    assertion: str | None = None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidRequest("Invalid Content-Length.")
        if int(declared) > limit:
            raise BodyTooLarge(f"The request body exceeds {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:  # the ASGI messages themselves: the common one-message body costs one await
        message = await receive()
        if message["type"] != "http.request":
            raise InvalidRequest("The client disconnected before sending the whole body.")
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"The request body exceeds {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def reject_query(request: Request) -> None:
    if request.scope.get("query_string"):
        raise InvalidRequest("Parameters must be sent in the request body, not the query string.")


async def _body_of_type(request: Request, limit: int, media_type: str) -> bytes:
    """The body of a request that must be ``media_type``, with no parameters in the query string."""
    reject_query(request)
    if _media_type(request) != media_type:
        raise InvalidRequest(f"The request body must be {media_type}.")
    return await read_body(request, limit)


async def read_form(request: Request, limit: int) -> dict[str, str]:
    """The form body as a dict, refusing repeats, bad encodings and other media types."""
    raw = await _body_of_type(request, limit, "application/x-www-form-urlencoded")
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            errors="strict",
            max_num_fields=MAX_PARAMETERS,
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The request body is not valid UTF-8 form encoding.") from None
    return _unique(pairs)


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """A JSON object body, refusing repeated keys and other media types."""
    raw = await _body_of_type(request, limit, "application/json")
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_json)
    except InvalidRequest:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return value


def _unique(pairs: list[tuple[str, V]], what: str = "parameter") -> dict[str, V]:
    """``pairs`` as a dict; a name that repeats is ``invalid_request`` (RFC 6749 §3.2)."""
    params: dict[str, V] = {}
    for name, value in pairs:
        if name in params:
            if name == "resource":
                # RFC 8707 §2 allows it; a token here has one audience (tokensmith.core.resources).
                raise InvalidTarget("A token is issued for one resource at a time: send one resource.")
            raise InvalidRequest(f"The {what} {name} is repeated.")
        params[name] = value
    return params


def _unique_json(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return _unique(pairs, "member")


def json_string(params: dict[str, Any], name: str) -> str | None:
    """A JSON dialect's member: absent is ``None``; present it must be a string — ``null`` is
    ``invalid_request`` (``{"clientSecret": null}`` is not the same as leaving it out)."""
    if name in params and params[name] is None:
        raise InvalidRequest(f"The member {name} must be a string, not null.")
    return string_param(params, name)


def string_param(params: dict[str, Any], name: str) -> str | None:
    """A parameter that must be a string when present (JSON bodies can carry anything)."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"The parameter {name} must be a string.")
    return value


def authorization(request: Request) -> tuple[str, str] | None:
    """``(scheme lowercased, credentials)`` from the Authorization header, if any."""
    header = request.headers.getlist("authorization")
    if not header:
        return None
    if len(header) > 1:
        raise InvalidRequest("Only one Authorization header is allowed.")
    scheme, _, credentials = header[0].strip().partition(" ")
    return scheme.lower(), credentials.strip()


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _form_decoded(value: str, what: str) -> str:
    """One half of the Basic credentials, form-decoded strictly (RFC 6749 §2.3.1, Appendix B):
    a ``%`` not followed by two hex digits, or escapes that are not UTF-8, are ``invalid_request``
    — never silently kept as they are or replaced with U+FFFD."""
    if _BAD_PERCENT.search(value):
        raise InvalidRequest(f"The Basic {what} is not valid percent-encoding.")
    try:
        return unquote_plus(value, errors="strict")
    except UnicodeDecodeError:
        raise InvalidRequest(f"The Basic {what} is not percent-encoded UTF-8.") from None


def _no_control(auth: ClientAuth) -> ClientAuth:
    """Client IDs and secrets never hold control characters (CR, LF, NUL…): ``invalid_request``."""
    if _CONTROL.search(auth.client_id) or _CONTROL.search(auth.client_secret):
        raise InvalidRequest("The client credentials contain control characters.")
    return auth


def parse_basic(credentials: str) -> ClientAuth:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidRequest("The Basic credentials are not valid base64-encoded UTF-8.") from None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        raise InvalidRequest("The Basic credentials must be client_id:client_secret.")
    # RFC 6749 §2.3.1: both halves are application/x-www-form-urlencoded before base64.
    auth = ClientAuth(
        _form_decoded(client_id, "client ID"), _form_decoded(client_secret, "client secret"), basic=True
    )
    return _no_control(auth)


def client_auth(
    request: Request, params: dict[str, Any], *, id_key: str = "client_id", secret_key: str = "client_secret"
) -> ClientAuth | None:
    """Exactly one of client_secret_basic, client_secret_post (RFC 6749 §2.3) or a client
    assertion (RFC 7521 §4.2, :func:`assertion_auth`)."""
    header = authorization(request)
    body_id = string_param(params, id_key)
    body_secret = string_param(params, secret_key)
    if "client_assertion" in params or "client_assertion_type" in params:
        if header is not None or body_secret is not None:
            raise InvalidRequest(
                "Use exactly one client authentication method: an assertion, Basic or a secret."
            )
        return assertion_auth(params, body_id)
    if header is not None and header[0] == "basic":
        if body_secret is not None:
            raise InvalidRequest("Use exactly one client authentication method: Basic or the request body.")
        auth = parse_basic(header[1])
        if body_id is not None and body_id != auth.client_id:
            raise InvalidRequest("The client_id in the body does not match the Basic credentials.")
        return auth
    if header is not None:
        raise InvalidRequest("Unsupported Authorization scheme for client authentication.")
    if body_secret is not None:
        if body_id is None:
            raise InvalidRequest(f"{id_key} is required with {secret_key}.")
        return _no_control(ClientAuth(body_id, body_secret, basic=False))
    return None


def assertion_auth(params: dict[str, Any], client_id: str | None) -> ClientAuth:
    """RFC 7521 §4.2: ``client_assertion_type`` and ``client_assertion`` together; the only
    type accepted is RFC 7523 §2.2's JWT bearer (``invalid_client`` for any other)."""
    assertion_type = string_param(params, "client_assertion_type")
    assertion = string_param(params, "client_assertion")
    if assertion_type is None or not assertion:
        raise InvalidRequest("client_assertion and client_assertion_type go together.")
    if assertion_type != ASSERTION_TYPE:
        raise InvalidClient(
            "The client_assertion_type is not supported.", detail=f"assertion type {assertion_type[:100]!r}"
        )
    auth = ClientAuth(client_id or "", "", basic=False, assertion=assertion)
    if _CONTROL.search(assertion):
        raise InvalidRequest("The client assertion contains control characters.")
    return _no_control(auth)
