"""tokensmith.core.resources: what a resource indicator is (RFC 8707 §2), how requests name one,
and how scopes narrow to a resource. Pure."""

from __future__ import annotations

import pytest

from tokensmith.core.errors import InvalidScope, InvalidTarget
from tokensmith.core.resources import Resource, canonical_uri, narrow_to_resource, single_target, uri_problem

BILLING = Resource(id="r", name="Billing", uri="https://billing.example/v1", scopes=frozenset({"a", "b"}))


@pytest.mark.parametrize(
    "value",
    [
        "https://api.example.com",
        "https://api.example.com/v1/",
        "http://127.0.0.1:8000/mcp",
        "urn:example:resource",
        "https://api.example.com/a%20b",
    ],
)
def test_absolute_uris_are_resource_indicators(value: str) -> None:
    assert uri_problem(value) is None
    assert uri_problem(value, registering=True) is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("/v1/projects", "absolute URI"),
        ("api.example.com/v1", "absolute URI"),
        ("//api.example.com/v1", "absolute URI"),
        ("1http://x", "absolute URI"),
        ("https://api.example.com/#top", "fragment"),
        ("https://api.example.com/#", "fragment"),
        ("https://api.example.com/ v1", "characters"),
        ("https://api.example.com/\nv1", "characters"),
        ("https://api.exämple.com/", "characters"),
        ("https://api.example.com/<x>", "characters"),
        ("https://" + "a" * 2050, "longer"),
    ],
)
def test_what_is_not_a_resource_indicator(value: str, why: str) -> None:
    problem = uri_problem(value)
    assert problem is not None and why in problem


def test_registering_also_refuses_a_query_and_a_missing_host() -> None:
    assert (
        uri_problem("https://api.example.com/?v=1") is None
    )  # a token request may name it (and find nothing)
    assert "query" in (uri_problem("https://api.example.com/?v=1", registering=True) or "")
    assert "query" in (uri_problem("https://api.example.com/?", registering=True) or "")
    assert "host" in (uri_problem("https:///path", registering=True) or "")


def test_canonical_form_lowercases_scheme_and_host_only() -> None:
    assert canonical_uri("HTTPS://API.Example.COM:8443/V1/Path") == "https://api.example.com:8443/V1/Path"
    assert canonical_uri("https://User@API.example.com/x") == "https://User@api.example.com/x"
    assert canonical_uri("URN:Example:Thing") == "urn:Example:Thing"


def test_single_target() -> None:
    assert single_target([None, None]) is None
    assert single_target(["HTTPS://A.example/x", None]) == "https://a.example/x"
    assert single_target(["https://a.example/x", "https://A.EXAMPLE/x"]) == "https://a.example/x"
    with pytest.raises(InvalidTarget, match="one resource"):
        single_target(["https://a.example/x", "https://b.example/x"])
    with pytest.raises(InvalidTarget, match="fragment"):
        single_target(["https://a.example/x#f"])
    with pytest.raises(InvalidTarget):
        single_target([""])


def test_narrowing_to_a_resource() -> None:
    assert narrow_to_resource(frozenset(), frozenset({"a", "c"}), BILLING) == {"a"}
    assert narrow_to_resource(frozenset(), frozenset({"c"}), BILLING) == frozenset()
    assert narrow_to_resource(frozenset({"b"}), frozenset({"a", "b"}), BILLING) == {"b"}
    with pytest.raises(InvalidScope, match="c") as refused:
        narrow_to_resource(frozenset({"a", "c"}), frozenset({"a", "c"}), BILLING)
    assert refused.value.error == "invalid_scope" and BILLING.uri in refused.value.description
