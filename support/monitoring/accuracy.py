"""Reading counters before and after known traffic, and comparing what Prometheus stored with what was served."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from support.monitoring.monitor import Monitoring
from support.monitoring.prometheus import Sample

# Labels Prometheus adds at scrape time; the gateway never serves them.
TARGET_LABELS = frozenset({"job", "instance", "service"})
SeriesKey = tuple[str, frozenset[tuple[str, str]]]


def selector(metric: str, labels: Mapping[str, str], job: str = "gateway") -> str:
    """A PromQL selector for one metric with exact label matches."""
    matchers = ", ".join(f'{name}="{value}"' for name, value in {"job": job, **labels}.items())
    return f"{metric}{{{matchers}}}"


def settle(monitoring: Monitoring, since: float | None = None) -> float:
    """Wait until Prometheus has scraped the gateway after a moment (default: now); the scrape's time."""
    moment = time.time() if since is None else since
    # One interval to the next scrape, one more in case it began just before the moment, and a third for a late one.
    return monitoring.prometheus.wait_for_scrape_after(monitoring.gateway_job, moment, 3 * monitoring.scrape_interval_s + 2.0)


@dataclass(frozen=True)
class Reading:
    """A value Prometheus holds now for a selector (0 for a series that does not exist yet)."""

    query: str
    value: float


def read(monitoring: Monitoring, query: str) -> Reading:
    """The sum of a query's series, as Prometheus holds it."""
    return Reading(query, monitoring.prometheus.total(query))


def served_samples(metrics_url: str, prefixes: tuple[str, ...]) -> dict[SeriesKey, float]:
    """The samples /metrics serves now whose names start with one of the prefixes."""
    response = httpx.get(metrics_url, timeout=10.0)
    response.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name.startswith(prefixes)
    }


def stored_samples(samples: list[Sample]) -> dict[SeriesKey, float]:
    """Prometheus's samples keyed as the exposition keys them, without the labels the scrape added."""
    return {
        (sample.labels["__name__"], frozenset((k, v) for k, v in sample.labels.items() if k != "__name__" and k not in TARGET_LABELS)): sample.value
        for sample in samples
    }


def differences(served: Mapping[SeriesKey, float], stored: Mapping[SeriesKey, float]) -> list[str]:
    """Each series that one side has and the other lacks, or that has another value there."""
    problems = []
    for key in sorted(set(served) | set(stored), key=str):
        name, labels = key
        shown = f"{name}{{{', '.join(f'{k}={v!r}' for k, v in sorted(labels))}}}"
        if key not in stored:
            problems.append(f"{shown}: served {served[key]!r}, not stored")
        elif key not in served:
            problems.append(f"{shown}: stored {stored[key]!r}, not served")
        elif served[key] != stored[key]:
            problems.append(f"{shown}: served {served[key]!r}, stored {stored[key]!r}")
    return problems


def process_rss_bytes(pid: int) -> int:
    """The resident set size the operating system reports for a process (VmRSS in /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"/proc/{pid}/status has no VmRSS line")
