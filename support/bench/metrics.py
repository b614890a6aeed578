"""Metrics as vLLM's `bench serve` defines them, from per-request records.

TTFT ends at the first non-empty content chunk; TPOT = (e2e - TTFT)/(n - 1) per request, n from the server's count;
ITL = the gaps between content chunks, pooled over requests; throughput and goodput over the batch's wall time.
Failed requests are counted; warm-ups are left out before anything reaches here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from support.bench.measure import RequestRecord

PERCENTILES = (50, 90, 95, 99)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values: Iterable[float]) -> dict[str, float]:
    """Count, mean, min, max and the percentiles of a sample (NaN where it is empty)."""
    sample = list(values)
    figures = {"count": float(len(sample)), "mean": statistics.fmean(sample) if sample else math.nan,
               "min": min(sample, default=math.nan), "max": max(sample, default=math.nan)}
    for p in PERCENTILES:
        figures[f"p{p}"] = percentile(sample, p)
    return figures


def tpot(record: RequestRecord) -> float | None:
    """Time per output token after the first: (e2e - TTFT)/(n - 1), or None for fewer than two tokens."""
    if not record.ok or record.ttft_s is None or record.e2e_s is None or record.output_tokens < 2:
        return None
    return (record.e2e_s - record.ttft_s) / (record.output_tokens - 1)


def itls(record: RequestRecord) -> list[float]:
    """The gaps between a request's content chunks."""
    offsets = record.chunk_offsets_s
    return [later - earlier for earlier, later in pairwise(offsets)]


@dataclass(frozen=True)
class Slo:
    """Goodput's service-level objectives, each in seconds; None leaves that one out."""

    ttft_s: float | None = None
    tpot_s: float | None = None
    e2e_s: float | None = None

    def met(self, record: RequestRecord) -> bool:
        """Whether a request succeeded within every objective given."""
        if not record.ok:
            return False
        per_token = tpot(record) or 0.0
        checks = ((self.ttft_s, record.ttft_s), (self.tpot_s, per_token), (self.e2e_s, record.e2e_s))
        return all(bound is None or (value is not None and value <= bound) for bound, value in checks)


def summarise(records: Sequence[RequestRecord], slo: Slo | None = None) -> dict[str, Any]:
    """The metrics of one batch of records (one target, load and prompt size), failures included in the counts."""
    done = [r for r in records if r.ok]
    failed = [r for r in records if not r.ok]
    start = min((r.scheduled_s for r in records), default=0.0)
    end = max((r.end_s for r in records), default=0.0)
    duration = max(end - start, 1e-9)
    output_tokens = sum(r.output_tokens for r in done)
    decode_rates = [(r.output_tokens - 1) / (r.e2e_s - r.ttft_s) for r in done
                    if r.stream and r.ttft_s is not None and r.e2e_s is not None and r.output_tokens > 1 and r.e2e_s > r.ttft_s]
    chunks = sum(len(r.chunk_offsets_s) for r in done)
    shares = [r.ttft_s / r.e2e_s for r in done if r.stream and r.ttft_s is not None and r.e2e_s]
    return {
        "requests": len(records),
        "completed": len(done),
        "failed": len(failed),
        "errors": sorted({r.error for r in failed}),
        "duration_s": duration,
        "request_throughput": len(done) / duration,
        "output_throughput": output_tokens / duration,
        "chunk_rate": chunks / duration,
        "goodput": sum(1 for r in done if (slo or Slo()).met(r)) / duration,
        "output_tokens": output_tokens,
        "prompt_tokens": statistics.median([r.prompt_tokens for r in done]) if done else 0,
        "token_sources": sorted({r.token_source for r in done}),
        "ttft_s": distribution(r.ttft_s for r in done if r.ttft_s is not None),
        "tpot_s": distribution(t for t in (tpot(r) for r in done) if t is not None),
        "itl_s": distribution(gap for r in done for gap in itls(r)),
        "e2e_s": distribution(r.e2e_s for r in done if r.e2e_s is not None),
        "e2e_from_schedule_s": distribution(r.e2e_s + r.dispatch_delay_s for r in done if r.e2e_s is not None),
        "dispatch_delay_s": distribution(r.dispatch_delay_s for r in records),
        "decode_tokens_per_s": distribution(decode_rates),
        "ttft_share_of_e2e": statistics.median(shares) if shares else math.nan,
    }
