"""Reading ``/metrics`` the way Prometheus does: ``prometheus_client.parser``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """Every sample of one scrape: ``(name, labels, value)``."""

    samples: list[tuple[str, dict[str, str], float]]
    families: frozenset[str]

    def value(self, name: str, **labels: str) -> float:
        """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
        return sum(
            value
            for sample, sample_labels, value in self.samples
            if sample == name and all(sample_labels.get(k) == v for k, v in labels.items())
        )


def parse(text: str) -> Scrape:
    samples: list[tuple[str, dict[str, str], float]] = []
    families: set[str] = set()
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        samples.extend((s.name, dict(s.labels), float(s.value)) for s in family.samples)
    return Scrape(samples, frozenset(families))


def scrape(base_url: str, **headers: str) -> Scrape:
    response = httpx.get(base_url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain"), response.headers
    return parse(response.text)
