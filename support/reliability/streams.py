"""Streams that clients abandon, and the gateway's own account of what it still holds."""

from __future__ import annotations

import concurrent.futures
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx


def metric_sum(metrics_text: str, name: str, labels: dict[str, str] | None = None) -> float:
    """The sum of a metric's samples in Prometheus' text format, those with all the given labels."""
    total = 0.0
    wanted = [f'{key}="{value}"' for key, value in (labels or {}).items()]
    for line in metrics_text.splitlines():
        if line.startswith((name + " ", name + "{")) and all(label in line for label in wanted):
            total += float(line.rsplit(" ", 1)[1])
    return total


def gateway_metric(base_url: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    """One metric, read from the gateway's /metrics now; None when no sample has the labels."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    wanted = [f'{key}="{value}"' for key, value in (labels or {}).items()]
    present = any(line.startswith((name + " ", name + "{")) and all(label in line for label in wanted) for line in text.splitlines())
    return metric_sum(text, name, labels) if present else None


@dataclass
class Abandoned:
    """How a hundred abandoned streams went: how many got a first chunk before their client left."""

    clients: int = 0
    got_first_chunk: int = 0
    failures: list[str] | None = None


def abandon_stream(url: str, body: dict[str, Any], timeout_s: float) -> str | None:
    """Start a stream, read its first chunk, and hang up; None when a chunk came, else what happened."""
    try:
        with httpx.stream("POST", url, json=body, timeout=timeout_s) as response:
            for line in response.iter_lines():
                if line:
                    chunk = json.loads(line)
                    return None if "error" not in chunk else f"error chunk {line[:200]}"
            return f"status {response.status_code} and no chunk"
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"


def abandon_streams(url: str, body: dict[str, Any], clients: int, at_once: int, timeout_s: float) -> Abandoned:
    """`clients` streams, `at_once` at a time, each abandoned after its first chunk."""
    outcome = Abandoned(clients=clients, failures=[])
    with concurrent.futures.ThreadPoolExecutor(max_workers=at_once) as pool:
        for problem in pool.map(lambda _: abandon_stream(url, body, timeout_s), range(clients)):
            if problem is None:
                outcome.got_first_chunk += 1
            elif outcome.failures is not None:
                outcome.failures.append(problem)
    return outcome


HELD_GAUGES = ("gateway_requests_in_flight", "gateway_requests_queued")
"""What a gateway holds for a request: a slot, or a place in the queue."""


def held_after(base_url: str, settle_s: float, poll_s: float = 0.2) -> dict[str, float]:
    """The gauges still above zero once `settle_s` has passed, or none as soon as all are zero."""
    deadline = time.monotonic() + settle_s
    while True:
        text = httpx.get(f"{base_url}/metrics", timeout=10).text
        held = {name: value for name in HELD_GAUGES if (value := metric_sum(text, name))}
        if not held or time.monotonic() >= deadline:
            return held
        time.sleep(poll_s)
