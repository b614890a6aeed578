"""The generator against a trivial local streaming server: its own ceiling, and the checks' negative controls.

The server is a calibration of the instrument, not a stand-in for the stack: it only shows what the generator
measures when the server's behaviour is known.
"""

from __future__ import annotations

import asyncio
import statistics

import pytest

from support.bench.calibration import Behaviour, CalibrationServer, ceiling, drive
from support.bench.checks import first_token_early
from support.bench.metrics import summarise
from support.bench.profile import load_profile
from support.stacks.base import free_port


def _run(behaviour: Behaviour, concurrency: int, requests: int) -> dict[str, object]:
    server = CalibrationServer(free_port(), behaviour)
    try:
        records, _, _ = asyncio.run(drive(server.url, concurrency, requests))
    finally:
        server.stop()
    figures = summarise(records)
    return {**figures, "records": records}


def test_the_generator_states_its_cpu_per_chunk_and_its_ceiling() -> None:
    figures = ceiling(free_port(), concurrency=4, requests=16, chunks=100)
    assert figures["failed"] == 0 and figures["chunks"] == 1600
    assert figures["cpu_per_chunk_us"] > 0
    assert figures["cpu_bound_chunks_per_second"] == pytest.approx(1e6 / figures["cpu_per_chunk_us"])


def test_spaced_chunks_are_timed_as_the_server_spaced_them() -> None:
    figures = _run(Behaviour(chunks=5, interval_s=0.05, first_delay_s=0.2), concurrency=2, requests=4)
    assert figures["failed"] == 0
    ttft, itl = figures["ttft_s"], figures["itl_s"]
    assert isinstance(ttft, dict) and isinstance(itl, dict)
    # The server waits at least this long, so a shorter measurement would be the generator's error.
    assert ttft["min"] >= 0.2
    assert itl["p50"] >= 0.04
    assert figures["token_sources"] == ["eval_count"]


def test_failed_requests_are_counted_never_dropped() -> None:
    figures = _run(Behaviour(chunks=3, fail_every=2), concurrency=1, requests=6)
    assert (figures["requests"], figures["completed"], figures["failed"]) == (6, 3, 3)
    records = figures["records"]
    assert isinstance(records, list)
    assert {r.status for r in records if not r.ok} == {500}


def test_the_streaming_check_rejects_a_server_that_sends_the_whole_answer_at_once() -> None:
    """Negative control: TTFT equals the whole answer's time when nothing is streamed, and the check says so."""
    profile = load_profile("cpu-2core")
    streamed = _run(Behaviour(chunks=10, interval_s=0.03), concurrency=1, requests=3)
    buffered = _run(Behaviour(chunks=10, interval_s=0.03, buffered=True), concurrency=1, requests=3)

    def summary_of(figures: dict[str, object]) -> dict[str, object]:
        return {"groups": [{**figures, "target": "calibration", "model": "m", "phase": "synchronous", "prompt_size": "short", "stream": True}]}

    assert first_token_early(summary_of(streamed), profile) == []
    problems = first_token_early(summary_of(buffered), profile)
    assert len(problems) == 1 and "expected the first token by" in problems[0]
    assert statistics.fmean([float(str(buffered["ttft_share_of_e2e"]))]) > 0.9
