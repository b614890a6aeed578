"""Clients that leave early, and what a gateway still does for them afterwards.

A client leaving before its first token is what a user's Ctrl-C, an editor's cancelled completion or a proxy's
time-out looks like to a server. Ollama drops such a request from its queue at once; these helpers send such
clients and read what the gateway did for them.
"""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass
from typing import Any

import httpx

from support.reliability.streams import metric_sum

WAIT_BEFORE_LEAVING_S = 0.5


def leave_before_first_chunk(url: str, body: dict[str, Any], wait_s: float = WAIT_BEFORE_LEAVING_S) -> str | None:
    """Ask for a stream and hang up after `wait_s` without a chunk; what went wrong, or None."""
    try:
        with httpx.stream("POST", url, json=body, timeout=httpx.Timeout(120, read=wait_s)) as response:
            for line in response.iter_lines():
                return f"a chunk came after less than {wait_s} s with status {response.status_code}: {line[:160]}"
            return f"the stream ended at once with status {response.status_code}"
    except httpx.ReadTimeout:
        return None
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class Storm:
    """What a storm of clients leaving before their first token cost the gateway."""

    clients: int
    problems: list[str]
    drained_after_s: float
    """From the last client leaving until no request waited in the queue."""
    prompt_tokens: float
    """Prompt tokens the engine evaluated meanwhile: work done for clients who had left."""


def storm(base_url: str, body: dict[str, Any], clients: int, drain_limit_s: float = 5.0) -> Storm:
    """`clients` streaming clients at once, each leaving before its first token, while another client keeps the model busy."""
    before = _metrics(base_url)
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(lambda _: leave_before_first_chunk(f"{base_url}/api/generate", body), range(clients)))
    left_at = time.monotonic()
    while metric_sum(_metrics(base_url), "gateway_requests_queued") > 0 and time.monotonic() - left_at < drain_limit_s:
        time.sleep(0.02)
    drained_after = time.monotonic() - left_at
    tokens = metric_sum(_metrics(base_url), "gateway_prompt_tokens_total") - metric_sum(before, "gateway_prompt_tokens_total")
    return Storm(clients, [problem for problem in outcomes if problem], drained_after, tokens)


def first_chunk_seconds(base_url: str, body: dict[str, Any]) -> float:
    """Seconds from a streamed request to its first chunk."""
    started = time.perf_counter()
    with httpx.stream("POST", f"{base_url}/api/generate", json=body, timeout=120) as response:
        for _ in response.iter_lines():
            return time.perf_counter() - started
    raise AssertionError(f"the stream ended without a chunk (status {response.status_code})")


def _metrics(base_url: str) -> str:
    return httpx.get(f"{base_url}/metrics", timeout=10).text
