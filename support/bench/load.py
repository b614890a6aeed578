"""Load shapes: synchronous, a fixed concurrency for a count or a duration, and Poisson arrivals at a rate.

Each shape calls `send(scheduled)` with the perf_counter time the request was due, so a request that starts late
(the client could not keep up, or waited for a concurrency slot) shows its dispatch delay instead of hiding it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

R = TypeVar("R")
Send = Callable[[float], Awaitable[R]]


def poisson_offsets(rate: float, count: int, seed: int = 0) -> list[float]:
    """Arrival times, from zero, of `count` requests at `rate` per second with exponential gaps (a Poisson process)."""
    if rate <= 0 or count < 0:
        raise ValueError(f"a Poisson schedule needs a positive rate and a count, not rate={rate}, count={count}")
    generator = random.Random(seed)
    offsets, at = [], 0.0
    for _ in range(count):
        at += generator.expovariate(rate)
        offsets.append(at)
    return offsets


async def closed_loop(send: Send[R], concurrency: int, count: int | None = None, duration_s: float | None = None) -> list[R]:
    """`concurrency` users, each sending its next request when its last one ends, until `count` are sent or time is up.

    A user's next request is due the moment its previous one ended, so its dispatch delay is the client's own lag.
    """
    if concurrency < 1 or (count is None and duration_s is None):
        raise ValueError("a closed loop needs a concurrency of at least 1 and a count or a duration")
    results: list[R] = []
    issued = 0
    deadline = time.perf_counter() + duration_s if duration_s is not None else None

    async def user() -> None:
        nonlocal issued
        due = time.perf_counter()
        while (count is None or issued < count) and (deadline is None or due < deadline):
            issued += 1
            results.append(await send(due))
            due = time.perf_counter()

    await asyncio.gather(*(user() for _ in range(concurrency)))
    return results


async def synchronous(send: Send[R], count: int) -> list[R]:
    """One request at a time."""
    return await closed_loop(send, 1, count=count)


async def open_loop(send: Send[R], offsets: list[float], max_concurrency: int | None = None) -> list[R]:
    """Requests due at fixed offsets from now, whatever the earlier ones are doing; a concurrency cap makes them wait."""
    start = time.perf_counter()
    slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None

    async def one(offset: float) -> R:
        due = start + offset
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if slots is None:
            return await send(due)
        async with slots:
            return await send(due)

    return list(await asyncio.gather(*(one(offset) for offset in offsets)))
