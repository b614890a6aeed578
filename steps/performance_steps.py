"""Steps for the performance features: run the benchmark once per feature, then check its summary against the profile.

Example:
    Given the quick comparison has run on the small model
    Then the gateway kept the profile's share of each raw engine's decode speed
"""

from __future__ import annotations

import json
import statistics
from typing import Any

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, has_length, less_than

from support.bench import checks
from support.bench.distributed import run_locust
from support.bench.metrics import summarise
from support.report.allure import attach_file, attach_text

QUICK_PLAN, FULL_PLAN = "quick", "full"


def _summary(context: Context) -> dict[str, Any]:
    summary: dict[str, Any] = context.summary
    return summary


def _show(plan: str, context: Context) -> None:
    directory = context.benchmark.directory(plan)
    with allure.step(f"benchmark report in {directory}"):
        for name in ("performance.md", "summary.json", "requests.csv"):
            attach_file(directory / name)
        for plot in context.benchmark.plots[plan]:
            attach_file(plot)


def _no_problems(problems: list[str], what: str) -> None:
    attach_text(what, "\n".join(problems) or "all within bounds")
    assert_that(problems, empty(), what)


@given("the quick comparison has run on the small model")
def step_quick(context: Context) -> None:
    """Run the quick plan once for the feature (later scenarios reuse it) and attach its report."""
    context.summary = context.benchmark.run(QUICK_PLAN)
    _show(QUICK_PLAN, context)


@given("the full comparison has run on both models")
def step_full(context: Context) -> None:
    """Run the full plan once for the feature and attach its report."""
    context.summary = context.benchmark.run(FULL_PLAN)
    _show(FULL_PLAN, context)


@then("no request failed with {count:d} requests in flight on any target")
def step_no_failures(context: Context, count: int) -> None:
    """Every batch at that concurrency completed every request."""
    _no_problems(checks.no_failures_at(_summary(context), count), f"failures at concurrency {count}")


@then("no request failed under Poisson arrivals")
def step_no_poisson_failures(context: Context) -> None:
    """Every open-loop batch completed every request."""
    batches = [g for g in _summary(context)["groups"] if g["phase"] == "poisson"]
    assert_that(batches, greater_than([]), "Poisson batches in the summary")
    _no_problems([f"{g['target']} {g['model']}: {g['failed']} of {g['requests']} failed" for g in batches if g["failed"]], "Poisson failures")


@then("short prompts got their first token within the profile's bound at the 95th percentile")
def step_ttft(context: Context) -> None:
    """TTFT p95 of synchronous short prompts per target is within the bound."""
    _no_problems(checks.short_ttft_p95(_summary(context), context.benchmark.profile), "short-prompt TTFT p95")


@then("each streamed answer's first token came well before the whole answer")
def step_streaming(context: Context) -> None:
    """Median TTFT is at most the profile's share of the answer's time."""
    _no_problems(checks.first_token_early(_summary(context), context.benchmark.profile), "first token against the whole answer")


@then("the gateway kept the profile's share of each raw engine's decode speed")
def step_decode_share(context: Context) -> None:
    """Decode tokens/s through the gateway over the raw engine's, same run."""
    problems = [p for p in checks.gateway_overhead(_summary(context), context.benchmark.profile) if "decode speed" in p or "no pair" in p]
    _no_problems(problems, "gateway decode share")


@then("the gateway added at most the profile's milliseconds to the first token")
def step_ttft_added(context: Context) -> None:
    """Median TTFT through the gateway minus the raw engine's."""
    problems = [p for p in checks.gateway_overhead(_summary(context), context.benchmark.profile) if "added" in p or "no pair" in p]
    _no_problems(problems, "gateway TTFT added")


@then("each server's peak memory, its runners included, stayed under the profile's bound")
def step_memory(context: Context) -> None:
    """Peak RSS sampled from /proc during the run."""
    attach_text("resources", json.dumps(_summary(context)["resources"], indent=2))
    _no_problems(checks.memory(_summary(context), context.benchmark.profile), "peak memory")


@then("the load generator's calibrated ceiling was far above the busiest batch's chunk rate")
def step_generator(context: Context) -> None:
    """The ceiling against the trivial server over the highest chunk rate any batch needed."""
    attach_text("calibration", json.dumps(_summary(context)["calibration"], indent=2))
    _no_problems(checks.generator_headroom(_summary(context), context.benchmark.profile), "load generator headroom")


@then("the benchmark folder holds requests.csv, summary.json, performance.md and the plots")
def step_files(context: Context) -> None:
    """The files exist and are not empty; the plots are PNG images."""
    directory = context.benchmark.directory(QUICK_PLAN)
    for name in ("requests.csv", "summary.json", "performance.md"):
        assert_that((directory / name).stat().st_size, greater_than(0), f"{directory / name}")
    plots = context.benchmark.plots[QUICK_PLAN]
    assert_that(plots, has_length(4), "plots written")
    for plot in plots:
        assert_that(plot.read_bytes()[:4], equal_to(b"\x89PNG"), f"{plot} is a PNG image")


@then("the report compares mistral.rs with llama.cpp on every model")
def step_engines_compared(context: Context) -> None:
    """A mistral.rs/llama.cpp pair per model, with finite ratios."""
    pairs = _summary(context)["comparisons"]["mistralrs_vs_llamacpp"]
    attach_text("mistral.rs against llama.cpp", json.dumps(pairs, indent=2))
    models = {p["model"] for p in pairs if p["decode_ratio"] == p["decode_ratio"]}
    assert_that(sorted(models), equal_to(sorted(_summary(context)["run"]["plan"]["models"])), "models with a mistral.rs/llama.cpp ratio")


@then("the time to first token grew with the prompt's length on every target")
def step_ttft_grows(context: Context) -> None:
    """Median TTFT of long prompts is above that of short ones for each target and model."""
    by_key: dict[tuple[str, str], dict[str, float]] = {}
    for g in _summary(context)["groups"]:
        if g["phase"] == "synchronous" and g["stream"]:
            by_key.setdefault((g["target"], g["model"]), {})[g["prompt_size"]] = g["ttft_s"]["p50"]
    problems = [f"{target} {model}: long {sizes.get('long')} s against short {sizes.get('short')} s"
                for (target, model), sizes in by_key.items() if not sizes.get("long", 0) > sizes.get("short", float("inf"))]
    _no_problems(problems, "TTFT by prompt size")


@when("Locust runs streamed chat requests from a master and {workers:d} workers for {seconds:d} seconds against the stack")
def step_locust(context: Context, workers: int, seconds: int) -> None:
    """Master and workers as processes of their own on loopback; the merged records come back."""
    out = context.settings.results_dir / "benchmark" / "locust"
    context.locust = run_locust(context.stack.ollama_url, out, context.settings.model, users=2, duration_s=seconds, workers=workers, max_tokens=16,
                                label=f"stack at {context.stack.ollama_url}")
    attach_file(context.locust.log)
    assert_that(context.locust.exit_status, equal_to(0), f"Locust master's exit status (log: {context.locust.log})")


@then("every request the workers measured has its record on the master, from both workers")
def step_locust_records(context: Context) -> None:
    """As many merged records as the workers say they measured, from both workers."""
    run = context.locust
    attach_text("counts", f"records merged: {len(run.records)}; measured per worker: {run.worker_counts}; Locust's own count: {run.master_count}")
    assert_that(run.worker_counts, has_length(2), "workers that reported finishing")
    assert_that(len(run.records), equal_to(sum(run.worker_counts.values())), "records merged on the master against the workers' counts")
    assert_that(run.workers_seen, has_length(2), "workers that sent records")


@then("the metrics from the merged records show no failed request and a first token before the last")
def step_locust_metrics(context: Context) -> None:
    """The same metrics as the asyncio generator's, computed from the merged records."""
    figures = summarise(context.locust.records)
    attach_text("metrics from the merged records", json.dumps(figures, indent=2, default=str))
    assert_that(figures["completed"], greater_than(0), "completed requests")
    assert_that(figures["failed"], equal_to(0), f"failed requests: {figures['errors']}")
    assert_that(statistics.median([r.ttft_s / r.e2e_s for r in context.locust.records if r.ttft_s is not None and r.e2e_s]),
                less_than(1.0), "median TTFT over e2e")
