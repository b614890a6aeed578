"""The metrics math on hand-made records: percentiles, TPOT, pooled ITL, throughput, goodput, failures counted."""

from __future__ import annotations

import math

import pytest

from support.bench.measure import RequestRecord
from support.bench.metrics import Slo, distribution, itls, percentile, summarise, tpot


def record(start: float, ttft: float | None, e2e: float | None, tokens: int, offsets: list[float], ok: bool = True, delay: float = 0.0) -> RequestRecord:
    return RequestRecord(target="t", model="m", api="ollama-chat", phase="synchronous", load="sync", concurrency=1, iteration=0, warmup=False,
                         prompt_size="short", stream=True, scheduled_s=start - delay, started_s=start, dispatch_delay_s=delay, ok=ok,
                         status=200 if ok else 500, error="" if ok else "HTTP 500", ttft_s=ttft, e2e_s=e2e, output_tokens=tokens,
                         token_source="eval_count", chunk_offsets_s=offsets)


def test_percentile_interpolates_linearly_between_ranks_as_numpy_does() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile(values, 99) == pytest.approx(9.91)
    assert percentile([3.0], 95) == 3.0
    assert math.isnan(percentile([], 50))


def test_tpot_leaves_the_first_token_out() -> None:
    assert tpot(record(0, 0.5, 2.5, 5, [0.5, 1, 1.5, 2, 2.5])) == pytest.approx(0.5)
    assert tpot(record(0, 0.5, 0.5, 1, [0.5])) is None
    assert tpot(record(0, None, None, 0, [], ok=False)) is None


def test_itl_is_the_gaps_between_content_chunks_pooled_over_requests() -> None:
    first, second = record(0, 0.1, 0.4, 3, [0.1, 0.2, 0.4]), record(1, 0.3, 0.6, 2, [0.3, 0.6])
    assert itls(first) == pytest.approx([0.1, 0.2])
    figures = summarise([first, second])
    assert figures["itl_s"]["count"] == 3
    assert figures["itl_s"]["p50"] == pytest.approx(0.2)


def test_failures_are_counted_and_throughput_is_over_the_batch_wall_time() -> None:
    good = [record(0, 0.5, 1.0, 10, [0.5, 1.0]), record(1.0, 0.5, 1.0, 10, [0.5, 1.0])]
    failed = record(2.0, None, 0.0, 0, [], ok=False)
    figures = summarise([*good, failed])
    assert (figures["requests"], figures["completed"], figures["failed"]) == (3, 2, 1)
    assert figures["errors"] == ["HTTP 500"]
    assert figures["duration_s"] == pytest.approx(2.0)
    assert figures["request_throughput"] == pytest.approx(1.0)
    assert figures["output_throughput"] == pytest.approx(10.0)
    assert figures["ttft_s"]["count"] == 2


def test_goodput_counts_only_requests_within_every_objective() -> None:
    fast, slow = record(0, 0.2, 1.0, 5, [0.2, 1.0]), record(1, 0.9, 2.0, 5, [0.9, 2.0])
    figures = summarise([fast, slow], Slo(ttft_s=0.5))
    assert figures["goodput"] == pytest.approx(1 / 3.0)
    assert not Slo(ttft_s=0.5).met(slow)
    assert Slo(tpot_s=0.3).met(fast)


def test_dispatch_delay_shows_in_the_latency_from_the_schedule() -> None:
    late = record(5.0, 0.1, 1.0, 4, [0.1, 1.0], delay=2.0)
    figures = summarise([late])
    assert figures["e2e_s"]["p50"] == pytest.approx(1.0)
    assert figures["e2e_from_schedule_s"]["p50"] == pytest.approx(3.0)
    assert figures["dispatch_delay_s"]["max"] == pytest.approx(2.0)


def test_distribution_of_nothing_is_empty_not_an_error() -> None:
    assert distribution([])["count"] == 0
    assert math.isnan(distribution([])["p95"])
