"""What the benchmark measures: a gateway it starts (per engine), a raw engine in a runner process, a real Ollama.

The raw engine runs in the same runner process the gateway holds (`stack.gateway.engines.runner`), called over its
socket from a worker thread as the gateway's scheduler calls it. The gateway's overhead is then exactly what it adds
on top (HTTP, translation, scheduling). An engine inside the load generator's own process would instead compete with
the generator for its interpreter and make the generator's timing part of what is measured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from abc import ABC, abstractmethod
from pathlib import Path

import httpx

from stack.gateway.engines import Finish, Piece, RunnerEngine
from stack.gateway.engines.base import ModelFile
from stack.gateway.engines.process import RunnerModel
from stack.gateway.options import DEFAULT_NUM_CTX, merged, sampling_for
from stack.gateway.store import ModelRecord, ModelStore
from stack.gateway.templates import render_chat
from support.bench.measure import Batch, RequestRecord, RequestSpec, measure_http, record_of
from support.bench.resources import Combined, ProcessTree, ResourceSampler, ServiceSampler
from support.bench.streams import Answer
from support.settings import Settings
from support.stacks.base import Stack
from support.stacks.local import LocalProcessStack

ENGINE_NAMES = {"mistralrs": "mistral.rs", "llamacpp": "llama.cpp (Ollama's engine)"}


def gateway_label(engine: str) -> str:
    """How reports name the gateway over an engine; llama.cpp is Ollama's engine, never Ollama itself."""
    return f"gateway + {ENGINE_NAMES[engine]}"


def engine_label(engine: str) -> str:
    """How reports name a raw engine."""
    return f"{ENGINE_NAMES[engine]}, raw"


STACK_LABEL = "the stack under test"
"""How reports name the stack the suite runs against when it is not a local gateway (containers, a compose stack)."""


def stack_label(target: str, engine: str) -> str:
    """The stack under test, with where it runs and its engine."""
    return f"{STACK_LABEL} ({target}, {ENGINE_NAMES.get(engine, engine)})"


class Target(ABC):
    """Something that answers benchmark requests."""

    label: str
    engine: str
    kind: str
    """`gateway`, `engine` or `ollama`."""

    async def start(self) -> None:  # noqa: B027 - most targets have nothing to start
        """Make the target ready to answer."""

    async def stop(self) -> None:  # noqa: B027 - nor anything to release
        """Release what start() acquired."""

    @abstractmethod
    async def send(self, spec: RequestSpec, batch: Batch, scheduled: float) -> RequestRecord:
        """One request, measured; a failure is a failed record."""

    def sampler(self) -> ResourceSampler | None:
        """How to read the target's memory and CPU, where the benchmark can see its processes."""
        return None

    def describe(self) -> dict[str, str]:
        """Facts for the report."""
        return {"label": self.label, "kind": self.kind, "engine": self.engine}


class HttpTarget(Target):
    """Any Ollama-compatible server by URL: a real Ollama given with -D ollama_compare_url."""

    def __init__(self, label: str, url: str, kind: str = "ollama", engine: str = "ollama") -> None:
        self.label, self.url, self.kind, self.engine = label, url.rstrip("/"), kind, engine
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Open a client whose pool never makes a request wait for a connection."""
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(base_url=self.url, timeout=httpx.Timeout(600.0, connect=10.0), limits=limits)

    async def stop(self) -> None:
        """Close the client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, spec: RequestSpec, batch: Batch, scheduled: float) -> RequestRecord:
        """Over HTTP, as a client sees it."""
        assert self._client is not None, "start() opens the client"
        return await measure_http(self._client, spec, batch, scheduled)

    def describe(self) -> dict[str, str]:
        """Add the URL."""
        return {**super().describe(), "url": self.url}


class GatewayTarget(HttpTarget):
    """A gateway the benchmark starts on a free port over one engine, with every model kept loaded."""

    def __init__(self, settings: Settings, repo_root: Path, engine: str, log_dir: Path) -> None:
        own = dataclasses.replace(settings, engine=engine, results_dir=log_dir / engine)
        self.stack = LocalProcessStack(own, repo_root)
        self.stack.log_path = log_dir / f"gateway-{engine}.log"
        self.stack.extra_env = {"OLLAMA_KEEP_ALIVE": "-1", "OLLAMA_MAX_LOADED_MODELS": "3"}
        super().__init__(gateway_label(engine), self.stack.ollama_url, "gateway", engine)

    async def start(self) -> None:
        """Start the gateway process, then the client."""
        await asyncio.to_thread(self.stack.start)
        await super().start()

    async def stop(self) -> None:
        """Close the client and stop the gateway."""
        await super().stop()
        await asyncio.to_thread(self.stack.stop)

    def sampler(self) -> ResourceSampler | None:
        """The gateway and its runner processes."""
        pid = self.stack.gateway_pid
        return ProcessTree(pid) if pid is not None else None

    def describe(self) -> dict[str, str]:
        """Add the command and the log."""
        return {**super().describe(), "command": " ".join(self.stack.command()), "log": str(self.stack.log_path)}


class StackTarget(HttpTarget):
    """The stack the suite runs against (its containers or a user's compose stack), measured like the local gateways,
    its memory and CPU from the driver (docker stats: the gateway's container, runners included)."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack_label(stack.settings.target, stack.settings.engine), stack.ollama_url, "stack", stack.settings.engine)
        self.stack = stack

    def sampler(self) -> ResourceSampler | None:
        """The gateway service as the driver measures it."""
        return ServiceSampler(self.stack, "gateway") if "gateway" in self.stack.services() else None

    def describe(self) -> dict[str, str]:
        """Add where the stack runs."""
        return {**super().describe(), "target": self.stack.settings.target}


class EngineTarget(Target):
    """The raw engine: each model in a runner process, fed the prompt the gateway would render, with its sampling."""

    kind = "engine"

    def __init__(self, engine: str, models_dir: Path) -> None:
        self.engine = engine
        self.label = engine_label(engine)
        self.store = ModelStore(models_dir)
        self.models: dict[str, tuple[RunnerModel, ModelRecord]] = {}

    async def model(self, name: str) -> tuple[RunnerModel, ModelRecord]:
        """The model's runner, started on first use."""
        if name not in self.models:
            record = self.store.find(name)
            if record is None:
                raise LookupError(f"{name} is not in the store {self.store.root}")
            loaded = await RunnerEngine(self.engine).load(ModelFile(record.gguf_path, record.name.short, record.context_length))
            self.models[name] = (loaded, record)
        return self.models[name]

    async def stop(self) -> None:
        """Stop every runner and reap it while the event loop that started it still runs."""
        for loaded, _ in self.models.values():
            loaded.close()
            await loaded.wait_exit()
        self.models.clear()

    async def send(self, spec: RequestSpec, batch: Batch, scheduled: float) -> RequestRecord:
        """Generate through the runner's socket on a worker thread, timing each piece where it is read."""
        loaded, record = await self.model(spec.model)
        messages = [{"role": "system", "content": record.system}] if record.system else []
        prompt = render_chat(record.template, [*messages, {"role": "user", "content": spec.prompt}])
        options = merged(record.parameters, {"temperature": 0, "num_predict": spec.max_tokens})
        sampling = sampling_for(options, min(DEFAULT_NUM_CTX, record.context_length), 0, None)

        def generate() -> tuple[float, Answer, float]:
            answer = Answer()
            started = time.perf_counter()
            try:
                for event in loaded.generate(prompt, sampling):
                    if isinstance(event, Piece) and event.text:
                        answer.content_times.append(time.perf_counter())
                    elif isinstance(event, Finish):
                        answer.output_tokens, answer.prompt_tokens = event.completion_tokens, event.prompt_tokens
                        answer.token_source, answer.done = "engine", True
            except Exception as error:  # noqa: BLE001 - any failure of the engine is a failed record, never a lost one
                answer.error = f"{type(error).__name__}: {error}"
            return started, answer, time.perf_counter()

        started, answer, ended = await asyncio.to_thread(generate)
        if not spec.stream and answer.content_times:
            answer.content_times = [ended]
        return record_of(spec, batch, scheduled, started, answer, 200 if not answer.error else 500, ended)

    def tokens(self, name: str, text: str) -> int:
        """How many of the model's tokens a text is, counted by the engine (the model must be started)."""
        return len(self.models[name][0].tokenize(text))

    def sampler(self) -> ResourceSampler | None:
        """The runner processes, one per model."""
        return Combined([ProcessTree(loaded.pid) for loaded, _ in self.models.values()])

