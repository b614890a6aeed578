"""The benchmark as the performance features run it: once per feature, its report under results/<run>/benchmark/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from support.bench import report
from support.bench.calibration import ceiling
from support.bench.plan import PLANS
from support.bench.plots import draw_all
from support.bench.profile import Profile, load_profile
from support.bench.run import BenchmarkResult, run_plan
from support.bench.targets import EngineTarget, GatewayTarget, HttpTarget, StackTarget, Target
from support.settings import Settings
from support.stacks.base import Stack, free_port

DEFAULT_MODELS_DIR = Path.home() / ".cache" / "mistralrs-gateway" / "models"
CONTAINER_TARGETS = ("docker", "compose")
"""Targets whose stack the benchmark measures too: the same gateway in containers, its memory from docker stats."""


class BenchSession:
    """Runs a plan at most once and keeps its summary for every scenario of the feature that checks it."""

    def __init__(self, settings: Settings, repo_root: Path, stack: Stack | None = None) -> None:
        self.settings = settings
        self.repo_root = repo_root
        self.stack = stack
        """The stack under test; on a container target it joins the comparison beside the gateways the benchmark starts."""
        self.profile: Profile = load_profile(settings.bench_profile)
        self.summaries: dict[str, dict[str, Any]] = {}
        self.results: dict[str, BenchmarkResult] = {}
        self.plots: dict[str, list[Path]] = {}

    def directory(self, plan: str) -> Path:
        """Where a plan's report goes: benchmark/ for the quick plan, benchmark/<plan>/ for the others."""
        base = self.settings.results_dir / "benchmark"
        return base if plan == "quick" else base / plan

    def targets(self, engines: tuple[str, ...], raw: bool, logs: Path) -> list[Target]:
        """A gateway per engine (its log in `logs`), each raw engine, the stack under test when it runs in containers,
        and a real Ollama when its URL was given."""
        models_dir = Path(self.settings.models_dir) if self.settings.models_dir else DEFAULT_MODELS_DIR
        targets: list[Target] = [GatewayTarget(self.settings, self.repo_root, engine, logs) for engine in engines]
        if raw:
            targets += [EngineTarget(engine, models_dir) for engine in engines]
        if self.stack is not None and self.settings.target in CONTAINER_TARGETS:
            targets.append(StackTarget(self.stack))
        if self.settings.ollama_compare_url:
            targets.append(HttpTarget(f"Ollama ({self.settings.ollama_compare_url})", self.settings.ollama_compare_url))
        return targets

    def run(self, name: str) -> dict[str, Any]:
        """Calibrate the generator, run the plan over every target, write the report and the plots; once per plan."""
        if name not in self.summaries:
            plan = PLANS[name].with_iterations(self.settings.bench_iterations)
            calibration: dict[str, float] = {**ceiling(free_port()), "concurrency": 8}
            directory = self.directory(name)
            result = asyncio.run(run_plan(plan, self.targets(plan.engines, plan.raw_engines, directory / "logs"), directory / "progress.log"))
            calibration["peak_chunk_rate"] = max((float(g["chunk_rate"]) for g in report.groups(result.records)), default=0.0)
            self.summaries[name] = report.write(result, directory, calibration)
            self.plots[name] = draw_all(result.records, directory)
            self.results[name] = result
        return self.summaries[name]
