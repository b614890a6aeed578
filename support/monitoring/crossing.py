"""Thresholds a scenario sets from what it measured, so that its own traffic crosses them.

SlowTimeToFirstToken's threshold goes on a bucket bound of the first-token histogram under a long prompt's time
(p95 from buckets lands inside a bucket, so observations above a bound give a p95 above it); HighMemory's goes between the gateway's memory alone and the gateway's with its runners', so the alert fires
only if the rule counts the runners.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from stack.gateway.metrics import TTFT_BUCKETS
from support.http import Exchange
from support.monitoring.prometheus import PrometheusQueries
from support.monitoring.traffic import client_ttft_s
from support.ollama import OllamaClient, generate_body

_FILLER = "The weather over the sea and the mountains changes from hour to hour. "
LONG_PROMPT_SENTENCES = 12
"""About 180 tokens: a prefill many times a short prompt's, yet short enough for mistral.rs on a busy 2-core CPU."""
MARGIN = 1.5
"""How far under the long prompts' time the bound stays: the gateway's figure and the client's differ by the HTTP
round trip, and a shared CPU moves both."""


def long_prompt() -> str:
    """A long prompt that starts with a fresh id, so no prompt cache holds any of it."""
    return f"Request {uuid.uuid4().hex}. " + _FILLER * LONG_PROMPT_SENTENCES + "Summarise the forecast in one word."


def short_prompt() -> str:
    """A few tokens, also fresh."""
    return f"Request {uuid.uuid4().hex[:6]}: say hi."


def send_prompt(ollama: OllamaClient, model: str, prompt: str, *, stream: bool = True) -> Exchange:
    """A one-token generation: its time is the time to the first token."""
    return ollama.generate(generate_body(model, prompt, stream=stream, num_predict=1))


def first_token_s(ollama: OllamaClient, model: str, prompt: str) -> float:
    """The client's time to the first streamed chunk of a one-token generation."""
    exchange = send_prompt(ollama, model, prompt)
    if exchange.status != 200:
        raise AssertionError(f"the calibration request failed: {exchange.describe()}")
    return client_ttft_s(exchange)


@dataclass(frozen=True)
class FirstTokenThreshold:
    """The measured first-token times and the bucket bound chosen under the long prompts' (None when none fits)."""

    short_s: tuple[float, ...]
    long_s: tuple[float, ...]
    threshold_s: float | None

    def describe(self) -> str:
        """The figures, for the report and for a failure."""
        def seconds(values: Sequence[float]) -> str:
            return ", ".join(f"{value:.3f}" for value in values)
        return (f"short prompts {seconds(self.short_s)} s, long prompts {seconds(self.long_s)} s to the first token; "
                f"threshold {self.threshold_s} s (the largest bucket bound at most the fastest long prompt over {MARGIN})")


def first_token_threshold(short_s: Sequence[float], long_s: Sequence[float], buckets: Sequence[float] = TTFT_BUCKETS) -> FirstTokenThreshold:
    """The largest bucket bound at most the fastest long prompt's time over MARGIN; the short prompts' are for the record.

    On a quiet host it also lies above the short prompts' times; on a busy shared CPU a short prompt's time is mostly
    waiting and may not, which does not change what the scenario shows: its own long prompts cross the threshold.
    """
    high = min(long_s) / MARGIN
    fitting = [bound for bound in buckets if bound <= high]
    return FirstTokenThreshold(tuple(short_s), tuple(long_s), max(fitting) if fitting else None)


@dataclass(frozen=True)
class MemoryThreshold:
    """Resident bytes of the gateway and of its runners as Prometheus last scraped them, and the bound between."""

    gateway_bytes: float
    runners_bytes: float

    @property
    def threshold_bytes(self) -> float:
        """Halfway into the runners' share: above the gateway alone, below the gateway with its runners."""
        return float(round(self.gateway_bytes + self.runners_bytes / 2))

    def describe(self) -> str:
        """The figures in MiB."""
        mib = 1024 ** 2
        return (f"gateway {self.gateway_bytes / mib:.0f} MiB, runners {self.runners_bytes / mib:.0f} MiB; "
                f"threshold {self.threshold_bytes / mib:.0f} MiB")


def memory_threshold(prometheus: PrometheusQueries, job: str) -> MemoryThreshold:
    """The gateway's and its runners' resident memory from Prometheus."""
    return MemoryThreshold(prometheus.total(f'process_resident_memory_bytes{{job="{job}"}}'),
                           prometheus.total(f'gateway_runner_resident_memory_bytes{{job="{job}"}}'))
