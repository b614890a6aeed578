"""The scheduler: loads models, hands out per-model slots, bounds the queue and unloads on keep_alive expiry.

Each loaded model is a runner process; one that dies on its own is dropped at once, and the next request loads it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from .durations import FOREVER
from .engines import Engine, Finish, ModelFile, Piece, Sampling, ServedModel
from .errors import SERVER_BUSY, GatewayError
from .metrics import Metrics
from .resources import RunnerResources
from .store import ModelRecord

log = logging.getLogger("stack.gateway.scheduler")
T = TypeVar("T")
DEFAULT_MAX_LOADED = 3
"""Ollama's automatic limit on a CPU-only machine."""
EXIT_WAIT_S = 5.0
"""How long an eviction waits for the old runner to exit before the next model loads (Ollama waits up to 5 s for VRAM)."""


@dataclass
class Runner:
    """A loaded model and its slots."""

    record: ModelRecord
    model: ServedModel
    slots: asyncio.Semaphore
    keep_alive: float
    expires_at: float = FOREVER
    active: int = 0
    num_ctx: int = 0
    watcher: asyncio.Task[None] | None = None
    claims: int = 0
    """Requests about to take the runner (their load has just ended, or its health check is under way): until they
    have, it is not idle, so another model's load cannot evict it from under them."""

    @property
    def expires_at_datetime(self) -> dt.datetime:
        # A keep_alive that never ends shows the far-future time Ollama shows for math.MaxInt64 nanoseconds.
        seconds = time.time() + 2**63 / 1e9 if self.expires_at == FOREVER else self.expires_at
        try:
            return dt.datetime.fromtimestamp(seconds).astimezone()
        except (OverflowError, OSError, ValueError):
            return dt.datetime.max.replace(tzinfo=dt.UTC)


class Slot:
    """Permission to run one generation, held by the request and, once handed over, by the engine's thread.

    It is freed when both have let go: the engine thread when the engine is idle again, the request when it has
    finished with the runner (a completion's context is tokenized after the engine's last token). Either may come
    first, and the thread's release may come from another thread.
    """

    def __init__(self, scheduler: Scheduler, runner: Runner) -> None:
        self._scheduler = scheduler
        self.runner = runner
        self._holders = 1
        self._lock = threading.Lock()

    def hand_over(self) -> Callable[[], None]:
        """A second holder for an engine thread; the function it returns is that holder's one release."""
        with self._lock:
            self._holders += 1
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                self.release()

        return release

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders != 0:
                return
        self._scheduler._release(self)


@dataclass
class PendingLoad:
    """A model being loaded, and how many requests still want it."""

    task: asyncio.Task[Runner]
    waiters: int = 0


class Scheduler:
    def __init__(self, engine: Engine, metrics: Metrics, *, num_parallel: int, max_queue: int, default_keep_alive: float, max_loaded: int,
                 ping_timeout: float = 10.0) -> None:
        self.engine = engine
        self.ping_timeout = ping_timeout
        self.metrics = metrics
        self.parallel = max(1, min(num_parallel, engine.max_parallel))
        self.max_queue = max_queue
        self.default_keep_alive = default_keep_alive
        self.max_loaded = max_loaded or DEFAULT_MAX_LOADED
        self.runners: dict[str, Runner] = {}
        """Loaded models by model file, so the tags and variants of one GGUF share one runner, as in Ollama."""
        self._loading: dict[str, PendingLoad] = {}
        self._load_lock = asyncio.Lock()
        """One load at a time, as Ollama handles one pending load at a time: the room check sees every runner."""
        self._pending = 0
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reaper: asyncio.Task[None] | None = None
        metrics.registry.register(RunnerResources(engine.name, self._runner_pids))
        metrics.queue_capacity.set(max_queue)
        metrics.parallel_capacity.set(self.parallel)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._reaper = asyncio.create_task(self._reap_expired())

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for key in list(self.runners):
            await self._unload(key, reason="shutdown", force=True)

    @contextlib.asynccontextmanager
    async def slot(self, record: ModelRecord, keep_alive: float | None) -> AsyncIterator[Slot]:
        """Wait for a slot on the model, loading it first; a full queue is Ollama's 503."""
        if self._pending >= self.max_queue:
            self.metrics.rejected.inc()
            raise GatewayError(503, SERVER_BUSY)
        self._pending += 1
        self.metrics.queued.set(self._pending)
        try:
            runner = await self.load(record, keep_alive)
            await runner.slots.acquire()
        finally:
            self._pending -= 1
            self.metrics.queued.set(self._pending)
        runner.active += 1
        self._in_flight += 1
        self.metrics.in_flight.set(self._in_flight)
        slot = Slot(self, runner)
        try:
            yield slot
        finally:
            slot.release()

    def _release(self, slot: Slot) -> None:
        """Free the slot and restart the keep_alive clock; runs on the event loop even when called from a thread."""
        loop = self._loop
        if loop is not None and not _on_loop(loop):
            loop.call_soon_threadsafe(self._release_on_loop, slot)
        else:
            self._release_on_loop(slot)

    def _release_on_loop(self, slot: Slot) -> None:
        runner = slot.runner
        runner.active -= 1
        self._in_flight -= 1
        self.metrics.in_flight.set(self._in_flight)
        runner.slots.release()
        # keep_alive 0 expires now: the reaper unloads the model within a quarter of a second.
        runner.expires_at = time.time() + runner.keep_alive if runner.keep_alive != FOREVER else FOREVER

    async def load(self, record: ModelRecord, keep_alive: float | None) -> Runner:
        """The runner for a model, loading it (once, however many requests ask) if needed.

        The load belongs to every request waiting for it, not to the one that started it: a client that leaves
        takes only its own place, and the load stops only when nobody waits for it any more.
        """
        key = runner_key(record)
        runner = self.runners.get(key)
        if runner is not None and runner.active == 0 and not await self._answers(runner):
            # As Ollama does before reusing a runner: one that no longer answers is replaced, not waited on.
            if self.runners.get(key) is runner:  # requests whose checks failed together unload it once, not its successor
                log.error("the runner for %s did not answer its health check in %.0f s; starting it again", record.name.short, self.ping_timeout)
                self.metrics.engine_up.labels(self.engine.name).set(0)
                await self._unload(key, reason="unresponsive", force=True, wait=True)
            runner = None
        while runner is None:
            pending = self._loading.get(key)
            if pending is None or pending.task.cancelled() or pending.task.cancelling():
                # A load that everyone left is being stopped: a newcomer starts its own rather than inherit the cancel.
                pending = PendingLoad(asyncio.create_task(self._load(record)))
                self._loading[key] = pending
                pending.task.add_done_callback(functools.partial(self._forget_load, key, pending))
            pending.waiters += 1
            try:
                runner = await asyncio.shield(pending.task)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                # The load was stopped under us, not this request: try again with a load of its own.
            finally:
                pending.waiters -= 1
                if pending.task.done() and not pending.task.cancelled() and pending.task.exception() is None:
                    pending.task.result().claims -= 1
                if pending.waiters == 0 and not pending.task.done():
                    pending.task.cancel()
        runner.keep_alive = self.default_keep_alive if keep_alive is None else keep_alive
        if runner.active == 0:
            runner.expires_at = FOREVER if runner.keep_alive == FOREVER else time.time() + runner.keep_alive
        return runner

    async def _answers(self, runner: Runner) -> bool:
        runner.claims += 1
        try:
            return await runner.model.ping(self.ping_timeout)
        finally:
            runner.claims -= 1

    def _forget_load(self, key: str, pending: PendingLoad, _: object = None) -> None:
        if self._loading.get(key) is pending:
            del self._loading[key]
        if not pending.task.cancelled():
            pending.task.exception()  # retrieved here, so a failed load nobody waits for is not logged as lost

    async def _load(self, record: ModelRecord) -> Runner:
        async with self._load_lock:
            return await self._load_locked(record)

    async def _load_locked(self, record: ModelRecord) -> Runner:
        await self._make_room()
        engine = self.engine.name
        name = record.name.short
        started = time.perf_counter()
        model_file = ModelFile(record.gguf_path, name, record.context_length, embedding="embedding" in record.capabilities)
        try:
            model = await self.engine.load(model_file)
        except Exception as error:
            self.metrics.engine_up.labels(engine).set(0)
            self.metrics.model_load_failures.labels(name, engine).inc()
            log.error("could not load %s with %s: %s", name, engine, error)
            raise
        seconds = time.perf_counter() - started
        self.metrics.engine_up.labels(engine).set(1)
        self.metrics.model_load_seconds.labels(name, engine).observe(seconds)
        self.metrics.model_loads.labels(name, engine).inc()
        self.metrics.model_loaded.labels(name, engine).set(1)
        log.info("loaded %s with %s in %.2fs", name, engine, seconds)
        runner = Runner(record, model, asyncio.Semaphore(self.parallel), self.default_keep_alive)
        pending = self._loading.get(runner_key(record))
        if pending is not None and pending.task is asyncio.current_task():
            # Ollama hands a new runner over with its reference already counted; here the requests that waited for
            # it resume only after the next load has taken the lock, so they hold it by count until they do.
            runner.claims = pending.waiters
        self.runners[runner_key(record)] = runner
        runner.watcher = asyncio.create_task(self._watch(runner))
        return runner

    async def _watch(self, runner: Runner) -> None:
        """Drop a runner that ends while still loaded: it crashed or was killed, busy or idle."""
        how = await runner.model.wait_exit()
        key = runner_key(runner.record)
        if self.runners.get(key) is not runner:
            return
        del self.runners[key]
        name, engine = runner.record.name.short, self.engine.name
        log.error("the runner for %s stopped unexpectedly (%s); its requests fail, the next one loads it again", name, how)
        self.metrics.engine_up.labels(engine).set(0)
        self.metrics.model_loaded.labels(name, engine).set(0)
        self.metrics.model_unloads.labels(name, engine, "crashed").inc()

    async def _make_room(self) -> None:
        while len(self.runners) >= self.max_loaded:
            idle = [runner for runner in self.runners.values() if runner.active == 0 and runner.claims == 0]
            if not idle:
                await asyncio.sleep(0.05)
                continue
            oldest = min(idle, key=lambda runner: runner.expires_at)
            await self._unload(runner_key(oldest.record), reason="evicted", wait=True)

    async def unload(self, record: ModelRecord, reason: str = "request") -> bool:
        """Unload a model now if it is idle; a busy one goes as soon as its last request ends, as Ollama's keep_alive 0.

        False when it was not unloaded now.
        """
        runner = self.runners.get(runner_key(record))
        if runner is not None and runner.active:
            runner.keep_alive = 0
            return False
        return await self._unload(runner_key(record), reason)

    async def _unload(self, key: str, reason: str, force: bool = False, wait: bool = False) -> bool:
        """Stop the runner under `key` if nothing runs on it, or whatever runs when forced.

        `wait` returns only once the process has exited, so an evicted model's memory is free before the next loads.
        """
        runner = self.runners.get(key)
        if runner is None or (runner.active and not force):
            return False
        del self.runners[key]
        if runner.watcher is not None:
            runner.watcher.cancel()
        runner.model.close()
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runner.model.wait_exit(), timeout=EXIT_WAIT_S)
        name, engine = runner.record.name.short, self.engine.name
        self.metrics.model_loaded.labels(name, engine).set(0)
        self.metrics.model_unloads.labels(name, engine, reason).inc()
        log.info("unloaded %s (%s)", name, reason)
        return True

    async def _reap_expired(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            now = time.time()
            for key, runner in list(self.runners.items()):
                if runner.active == 0 and runner.claims == 0 and runner.expires_at <= now:
                    await self._unload(key, reason="expired")

    def _runner_pids(self) -> list[tuple[str, int]]:
        return [(runner.record.name.short, runner.model.pid) for runner in self.runners.values()]

    def loaded(self) -> list[Runner]:
        """Loaded models, the longest-lived first, as /api/ps sorts them."""
        return sorted(self.runners.values(), key=lambda runner: runner.expires_at, reverse=True)


def runner_key(record: ModelRecord) -> str:
    """Runners are keyed by model file: names and variants of one GGUF share one."""
    return str(record.gguf_path)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def engine_events(model: ServedModel, prompt: str, sampling: Sampling, on_finish: Callable[[], None]) -> AsyncGenerator[Piece | Finish, None]:
    """A generation's events: read on the event loop where the model offers a stream (a runner's socket), else driven
    in a worker thread; `on_finish` runs once the engine has let go either way."""
    stream = getattr(model, "stream", None)
    if stream is None:
        return iterate_in_thread(functools.partial(model.generate, prompt, sampling), on_finish)
    return _finishing(stream(prompt, sampling), on_finish)


async def _finishing(events: AsyncGenerator[Piece | Finish, None], on_finish: Callable[[], None]) -> AsyncGenerator[Piece | Finish, None]:
    try:
        async for event in events:
            yield event
    finally:
        try:
            await events.aclose()
        finally:
            on_finish()


async def iterate_in_thread(produce: Callable[[], Iterator[T]], on_finish: Callable[[], None]) -> AsyncGenerator[T, None]:
    """Drive a blocking iterator in a worker thread; stopping early closes it, which cancels the engine's work.

    `on_finish` runs in the worker once the iterator is closed, so a slot is freed only when the engine has let go.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
    stop = threading.Event()
    produced: list[Iterator[T]] = []

    def put(kind: str, value: object) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

    def work() -> None:
        try:
            iterator = produce()
            produced.append(iterator)
            try:
                for item in iterator:
                    if stop.is_set():
                        break
                    put("item", item)
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
        except BaseException as error:  # noqa: BLE001 - handed to the event loop to raise there
            put("error", error)
        finally:
            on_finish()
            put("done", None)

    threading.Thread(target=work, name="engine-stream", daemon=True).start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "done":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        # An iterator that can be interrupted (a runner's stream) stops waiting for its next item now.
        for iterator in produced:
            interrupt = getattr(iterator, "interrupt", None)
            if interrupt is not None:
                interrupt()
