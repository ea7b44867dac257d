"""Which personal-token lifetimes an organisation's policy offers (core/policies.expiry_choices)."""

from __future__ import annotations

from tokensmith.core.policies import expiry_choices
from tokensmith.core.records import OrgPolicy

OFFERED: list[int | None] = [7, 30, 90, 365, None]


def test_no_policy_offers_everything_including_never() -> None:
    assert expiry_choices(OrgPolicy(), OFFERED) == [7, 30, 90, 365, None]


def test_expiry_required_drops_never() -> None:
    assert expiry_choices(OrgPolicy(pat_expiry_required=True), OFFERED) == [7, 30, 90, 365]


def test_a_maximum_drops_longer_choices_and_never_and_offers_the_maximum() -> None:
    # Seed 002: at most 3 months from creation.
    assert expiry_choices(OrgPolicy(pat_max_lifetime_days=60), OFFERED) == [7, 30, 60]
    assert expiry_choices(OrgPolicy(pat_max_lifetime_days=90), OFFERED) == [7, 30, 90]
