"""The load shapes: how many requests, how many at once, and when each was due."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from support.bench.load import closed_loop, open_loop, poisson_offsets, synchronous


def test_poisson_offsets_rise_with_exponential_gaps_at_the_rate_and_repeat_with_the_seed() -> None:
    offsets = poisson_offsets(4.0, 4000, seed=7)
    gaps = [b - a for a, b in zip([0.0, *offsets], offsets, strict=False)]
    assert all(gap > 0 for gap in gaps)
    assert statistics.fmean(gaps) == pytest.approx(0.25, rel=0.05)
    # An exponential distribution's standard deviation equals its mean.
    assert statistics.pstdev(gaps) == pytest.approx(0.25, rel=0.1)
    assert poisson_offsets(4.0, 10, seed=7) == offsets[:10]
    with pytest.raises(ValueError):
        poisson_offsets(0, 3)


class Recorder:
    """A fake request that records how many ran at once and when it was due."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.running, self.peak = seconds, 0, 0
        self.due: list[float] = []

    async def __call__(self, due: float) -> float:
        self.due.append(due)
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(self.seconds)
        self.running -= 1
        return due


def test_synchronous_runs_one_at_a_time() -> None:
    fake = Recorder(0.001)
    assert len(asyncio.run(synchronous(fake, 5))) == 5
    assert fake.peak == 1


def test_a_closed_loop_keeps_its_concurrency_and_sends_exactly_the_count() -> None:
    fake = Recorder(0.01)
    assert len(asyncio.run(closed_loop(fake, 4, count=10))) == 10
    assert fake.peak == 4


def test_a_closed_loop_for_a_duration_stops_issuing_when_time_is_up() -> None:
    fake = Recorder(0.01)
    results = asyncio.run(closed_loop(fake, 2, duration_s=0.1))
    assert 2 <= len(results)
    assert max(fake.due) - min(fake.due) < 0.1


def test_an_open_loop_does_not_wait_for_earlier_requests_unless_capped() -> None:
    fake = Recorder(0.05)
    asyncio.run(open_loop(fake, [0.0, 0.0, 0.0, 0.0]))
    assert fake.peak == 4
    capped = Recorder(0.05)
    asyncio.run(open_loop(capped, [0.0, 0.0, 0.0, 0.0], max_concurrency=2))
    assert capped.peak == 2
    # The schedule is kept as due times, so the capped requests' wait shows as dispatch delay.
    assert len(set(capped.due)) == 1
