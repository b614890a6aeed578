"""A benchmark run: start the targets, warm them up, then run the plan's batches interleaved across targets."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from support.bench import load
from support.bench.measure import Batch, RequestRecord, RequestSpec, shift
from support.bench.metrics import summarise
from support.bench.plan import PROMPT_TOKENS, Plan, fitted_prompt
from support.bench.progress import Progress
from support.bench.resources import ResourceMonitor, ResourceSampler, contention, machine_busy_seconds
from support.bench.targets import EngineTarget, Target

WORDS_PER_TOKEN = 0.75
"""Only for a run without a raw engine to count with: about three words to four tokens in English."""


@dataclass(frozen=True)
class Unit:
    """One kind of batch: a load shape at a level, a prompt size, an API, streamed or not."""

    phase: str
    load: str
    shape: str
    count: int
    prompt_size: str = "short"
    concurrency: int = 1
    stream: bool = True
    api: str = "ollama-chat"
    essential: bool = False
    """Runs even after the time budget is spent: the batches the checks judge."""


@dataclass
class BenchmarkResult:
    """Everything a report needs: the records (warm-ups flagged), resource use and the circumstances of the run."""

    plan: Plan
    records: list[RequestRecord]
    targets: list[dict[str, str]]
    resources: dict[str, dict[str, float]] = field(default_factory=dict)
    prompt_tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    generator: dict[str, float] = field(default_factory=dict)
    load_average: dict[str, list[float]] = field(default_factory=dict)
    started_at: str = ""
    skipped: list[str] = field(default_factory=list)
    """Batches left out because the plan's time budget was spent."""
    other_work: dict[str, float] = field(default_factory=dict)
    """The machine's CPU that went to neither the targets nor the generator while the resources were sampled."""
    unsampled: list[str] = field(default_factory=list)
    """Targets whose CPU could not be read: theirs is inside other_work."""


def units_of(plan: Plan, iteration: int) -> list[Unit]:
    """The batches of one iteration; the concurrency sweep and Poisson arrivals run in the first unless asked otherwise."""
    first = iteration == 0
    units = [Unit("synchronous", "sync", "sync", count, size, essential=first and size == "short")
             for size, count in plan.sync_requests.items() if count]
    if first:
        # The concurrency batches come before the costly long prompts, and run whatever the budget says.
        units += [Unit("concurrency", f"c={level}", "closed", max(plan.requests_per_level, level), concurrency=level, essential=True)
                  for level in plan.concurrency_levels]
        units += [Unit("synchronous", "sync", "sync", count, size) for size, count in plan.once.items() if count]
    elif plan.sweep_every_iteration:
        units += [Unit("concurrency", f"c={level}", "closed", max(plan.requests_per_level, level), concurrency=level)
                  for level in plan.concurrency_levels]
    if plan.poisson_rate and plan.poisson_requests and (iteration == 0 or plan.sweep_every_iteration):
        units.append(Unit("poisson", f"{plan.poisson_rate:g}/s", "poisson", plan.poisson_requests, concurrency=0))
    if plan.non_streamed:
        units.append(Unit("non-streamed", "sync", "sync", plan.non_streamed, stream=False))
    if plan.openai_requests:
        units.append(Unit("openai", "sync", "sync", plan.openai_requests, api="openai-chat"))
    return units


def applies(unit: Unit, target: Target, plan: Plan) -> bool:
    """A raw engine has no HTTP API, so only the native-API batches run on it, and the sweep only if the plan says so."""
    if target.kind != "engine":
        return True
    return unit.api == "ollama-chat" and (plan.sweep_raw or unit.phase not in ("concurrency", "poisson"))


async def run_unit(target: Target, unit: Unit, spec: RequestSpec, iteration: int, seed: int) -> list[RequestRecord]:
    """Run one batch on one target in its load shape."""
    batch = Batch(target.label, unit.phase, unit.load, unit.concurrency, iteration)
    send: Callable[[float], Awaitable[RequestRecord]] = lambda due: target.send(spec, batch, due)  # noqa: E731
    if unit.shape == "sync":
        return await load.synchronous(send, unit.count)
    if unit.shape == "closed":
        return await load.closed_loop(send, unit.concurrency, count=unit.count)
    rate = float(unit.load.removesuffix("/s"))
    return await load.open_loop(send, load.poisson_offsets(rate, unit.count, seed))


def _counter(targets: list[Target], model: str) -> Callable[[str], int]:
    engine = next((t for t in targets if isinstance(t, EngineTarget) and model in t.models), None)
    if engine is not None:
        return lambda text: engine.tokens(model, text)
    return lambda text: round(len(text.split()) / WORDS_PER_TOKEN)


def _line(records: list[RequestRecord], text: str) -> str:
    figures = summarise(records)
    ttft = figures["ttft_s"]
    assert isinstance(ttft, dict)
    return (f"{text}: {figures['completed']} ok, {figures['failed']} failed, TTFT p50 {ttft['p50']:.3f} s, "
            f"{figures['output_throughput']:.1f} tokens/s")


async def run_plan(plan: Plan, targets: list[Target], log: Path | None = None) -> BenchmarkResult:
    """Start the targets, warm every model up on each, then run the plan; always stops the targets."""
    result = BenchmarkResult(plan, [], [], started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    result.load_average["start"] = list(os.getloadavg())
    iterations = [units_of(plan, i) for i in range(plan.iterations)]
    total = len(plan.models) * (len(targets) + sum(1 for units in iterations for u in units for t in targets if applies(u, t, plan)))
    progress = Progress(total, f"{plan.name} plan, {len(targets)} targets, {', '.join(plan.models)}", log)
    origin = time.perf_counter()
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    monitor: ResourceMonitor | None = None
    try:
        await asyncio.gather(*(target.start() for target in targets))
        progress.say("targets ready: " + ", ".join(t.label for t in targets))
        for model in plan.models:
            for target in targets:
                warm = RequestSpec("ollama-chat", model, "Say hello.", "short", 8)
                records = await run_unit(target, Unit("warmup", "sync", "sync", 1), warm, 0, 0)
                for record in records:
                    record.warmup = True
                result.records += [shift(r, origin) for r in records]
                progress.batch(_line(records, f"warm-up {target.label} {model}"))
        samplers: dict[str, ResourceSampler] = {t.label: s for t in targets if (s := t.sampler()) is not None}
        monitor = ResourceMonitor(samplers)
        window = (machine_busy_seconds(), time.process_time(), time.perf_counter())
        monitor.start()
        prompts = {model: {size: fitted_prompt(tokens, _counter(targets, model)) for size, tokens in PROMPT_TOKENS.items()}
                   for model in plan.models}
        result.prompt_tokens = {model: {size: _counter(targets, model)(text) for size, text in sizes.items()} for model, sizes in prompts.items()}
        for iteration, units in enumerate(iterations):
            for model in plan.models:
                for unit in units:
                    tokens = plan.sweep_max_tokens if unit.phase == "concurrency" and plan.sweep_max_tokens else plan.max_tokens
                    spec = RequestSpec(unit.api, model, prompts[model][unit.prompt_size], unit.prompt_size, tokens, unit.stream)
                    # Each iteration starts the rotation one target later, so no target always follows the same one.
                    for target in targets[iteration % len(targets):] + targets[: iteration % len(targets)]:
                        if not applies(unit, target, plan):
                            continue
                        if plan.budget_s and not unit.essential and time.perf_counter() - origin > plan.budget_s:
                            result.skipped.append(f"{target.label} {model} {unit.phase} {unit.load} {unit.prompt_size}")
                            continue
                        records = await run_unit(target, unit, spec, iteration, seed=iteration)
                        result.records += [shift(r, origin) for r in records]
                        progress.batch(_line(records, f"{target.label} {model} {unit.phase} {unit.load} {unit.prompt_size}"))
    finally:
        if monitor is not None:
            result.resources = monitor.stop()
            busy, own_cpu, now = machine_busy_seconds(), time.process_time(), time.perf_counter()
            if busy is not None and window[0] is not None:
                own = (own_cpu - window[1]) + sum(r.get("cpu_seconds", 0.0) for r in result.resources.values())
                result.other_work = contention(busy - window[0], own, now - window[2], os.cpu_count() or 1)
                # A target whose CPU cannot be read (a server given by URL) would pass for other work.
                result.unsampled = [t.label for t in targets if "cpu_seconds" not in result.resources.get(t.label, {})]
        result.targets = [t.describe() for t in targets]
        await asyncio.gather(*(target.stop() for target in targets), return_exceptions=True)
    if result.skipped:
        progress.say(f"time budget of {plan.budget_s:.0f} s spent: {len(result.skipped)} batches skipped")
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    result.generator = {"cpu_seconds": cpu, "wall_seconds": wall, "mean_cores": cpu / wall if wall else 0.0}
    result.load_average["end"] = list(os.getloadavg())
    return result
