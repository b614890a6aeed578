"""Queries on a Prometheus server through prometheus-api-client: values, targets, scrapes, alert states."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import yaml
from prometheus_api_client import PrometheusConnect

from support.monitoring.config import parse_duration

_POLL_S = 0.2


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Target:
    """One scrape target as Prometheus sees it."""

    job: str
    instance: str
    health: str
    labels: dict[str, str]
    last_error: str
    scrape_url: str


class PrometheusQueries:
    """A Prometheus server, read through its HTTP API."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.api = PrometheusConnect(url=self.url, disable_ssl=True, timeout=timeout_s)

    def close(self) -> None:
        """Release the HTTP session."""
        self.api.close()

    def vector(self, query: str) -> list[Sample]:
        """An instant query's series with their values as floats."""
        result: list[dict[str, Any]] = self.api.custom_query(query)
        return [Sample(dict(item.get("metric", {})), float(item["value"][1])) for item in result]

    def total(self, query: str) -> float:
        """The sum of an instant query's values; 0 when it has no series (a counter never incremented)."""
        return sum(sample.value for sample in self.vector(query))

    def series_with_data(self, query: str, start: datetime, end: datetime, step: str) -> list[dict[str, str]]:
        """The labels of each series a range query returns with at least one number that is not NaN."""
        result: list[dict[str, Any]] = self.api.custom_query_range(query, start_time=start, end_time=end, step=step)
        return [dict(item.get("metric", {})) for item in result if any(not math.isnan(float(v)) for _, v in item.get("values", []))]

    def range_values(self, query: str, start: datetime, end: datetime, step: str) -> dict[str, list[float]]:
        """Each series of a range query (its labels as text) with its numbers, NaN left out."""
        result: list[dict[str, Any]] = self.api.custom_query_range(query, start_time=start, end_time=end, step=step)
        return {str(dict(item.get("metric", {}))): [float(v) for _, v in item.get("values", []) if not math.isnan(float(v))]
                for item in result}

    def targets(self) -> list[Target]:
        """Every active scrape target."""
        active: list[dict[str, Any]] = self.api.get_targets(state="active")["activeTargets"]
        return [
            Target(
                job=str(item["labels"].get("job", "")),
                instance=str(item["labels"].get("instance", "")),
                health=str(item.get("health", "")),
                labels=dict(item["labels"]),
                last_error=str(item.get("lastError", "")),
                scrape_url=str(item.get("scrapeUrl", "")),
            )
            for item in active
        ]

    def scrape_interval_s(self) -> float:
        """The global scrape interval of the server's loaded configuration."""
        response = httpx.get(f"{self.url}/api/v1/status/config", timeout=10.0)
        response.raise_for_status()
        config = yaml.safe_load(response.json()["data"]["yaml"])
        return parse_duration(str(config["global"]["scrape_interval"]))

    def last_scrape(self, job: str) -> float | None:
        """When Prometheus last scraped a job (Unix seconds), or None if never."""
        times = [sample.value for sample in self.vector(f'timestamp(up{{job="{job}"}})')]
        return max(times) if times else None

    def wait_for_scrape_after(self, job: str, moment: float, timeout_s: float) -> float:
        """Wait for a scrape of the job that began after a moment; its time, or TimeoutError."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            last = self.last_scrape(job)
            if last is not None and last > moment:
                return last
            time.sleep(_POLL_S)
        raise TimeoutError(f"Prometheus did not scrape job {job} within {timeout_s:.1f} s after {moment:.3f}")

    def wait_for_every_job(self, timeout_s: float) -> None:
        """Wait until every configured job has been scraped once, up or not."""
        response = httpx.get(f"{self.url}/api/v1/status/config", timeout=10.0)
        response.raise_for_status()
        jobs = {str(job["job_name"]) for job in yaml.safe_load(response.json()["data"]["yaml"]).get("scrape_configs", [])}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if jobs <= {sample.labels.get("job", "") for sample in self.vector("up")}:
                return
            time.sleep(_POLL_S)
        raise TimeoutError(f"Prometheus did not scrape every job of {sorted(jobs)} within {timeout_s:.0f} s")

    def wait_for_no_alerts(self, timeout_s: float) -> list[str]:
        """Wait until no alert is pending or firing; the names still active when the time ran out."""
        deadline = time.monotonic() + timeout_s
        while True:
            active = sorted({sample.labels.get("alertname", "") for sample in self.vector("ALERTS")})
            if not active or time.monotonic() > deadline:
                return active
            time.sleep(_POLL_S)

    def alert_active_since(self, alertname: str) -> float | None:
        """When (Unix seconds) the active alert of that name became pending, from ALERTS_FOR_STATE; None if not active."""
        times = [sample.value for sample in self.vector(f'ALERTS_FOR_STATE{{alertname="{alertname}"}}')]
        return min(times) if times else None

    def alert_state(self, alertname: str) -> str:
        """"firing", "pending" or "inactive", from Prometheus's ALERTS series."""
        states = {sample.labels.get("alertstate", "") for sample in self.vector(f'ALERTS{{alertname="{alertname}"}}')}
        for state in ("firing", "pending"):
            if state in states:
                return state
        return "inactive"
