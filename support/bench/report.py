"""The benchmark's outputs in results/<timestamp>/benchmark/: requests.csv, summary.json and performance.md."""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from support.bench.measure import RequestRecord
from support.bench.metrics import Slo, summarise
from support.bench.run import BenchmarkResult
from support.bench.targets import ENGINE_NAMES, STACK_LABEL, engine_label, gateway_label
from support.stacks.base import package_version

GROUP_KEYS = ("target", "model", "phase", "load", "prompt_size", "stream", "api")
VERSIONED = ("mistralrs", "llama-cpp-python", "httpx", "locust", "matplotlib")


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, kernel and versions of what was measured and what measured it."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) * 1024 for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": memory, "kernel": platform.release(), "python": platform.python_version(),
            "gpu": "none seen" if not Path("/dev/nvidia0").exists() else "NVIDIA device present",
            "versions": {name: package_version(name) for name in VERSIONED}}


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def groups(records: Sequence[RequestRecord], slo: Slo | None = None) -> list[dict[str, Any]]:
    """One summary per target, model, load, prompt size, stream mode and API; warm-ups left out."""
    batches: dict[tuple[Any, ...], list[RequestRecord]] = defaultdict(list)
    for record in records:
        if not record.warmup:
            batches[tuple(getattr(record, key) for key in GROUP_KEYS)].append(record)
    return [{**dict(zip(GROUP_KEYS, key, strict=True)), **summarise(batch, slo)} for key, batch in batches.items()]


def _median_of(records: Sequence[RequestRecord], target: str, model: str, field: str) -> float:
    picked = [r for r in records if r.target == target and r.model == model and r.phase == "synchronous"
              and r.prompt_size == "short" and r.ok and not r.warmup]
    if field == "ttft":
        values = [r.ttft_s for r in picked if r.ttft_s is not None]
    else:
        values = [(r.output_tokens - 1) / (r.e2e_s - r.ttft_s) for r in picked
                  if r.ttft_s is not None and r.e2e_s is not None and r.output_tokens > 1 and r.e2e_s > r.ttft_s]
    return statistics.median(values) if values else math.nan


def comparisons(records: Sequence[RequestRecord], models: Sequence[str]) -> dict[str, Any]:
    """The gateway against each raw engine, mistral.rs against llama.cpp, the stack under test (in containers) against the
    local gateway over its engine, and both gateways against a real Ollama if measured."""
    targets = {r.target for r in records}
    out: dict[str, Any] = {"gateway_vs_engine": [], "mistralrs_vs_llamacpp": [], "stack_vs_gateway": [], "vs_ollama": []}
    for model in models:
        for engine in ENGINE_NAMES:
            gateway, raw = gateway_label(engine), engine_label(engine)
            if gateway in targets and raw in targets:
                gw_tps, raw_tps = _median_of(records, gateway, model, "tps"), _median_of(records, raw, model, "tps")
                gw_ttft, raw_ttft = _median_of(records, gateway, model, "ttft"), _median_of(records, raw, model, "ttft")
                out["gateway_vs_engine"].append({"engine": engine, "model": model, "gateway_decode_tps": gw_tps, "engine_decode_tps": raw_tps,
                                                 "decode_ratio": gw_tps / raw_tps, "gateway_ttft_s": gw_ttft, "engine_ttft_s": raw_ttft,
                                                 "ttft_added_ms": (gw_ttft - raw_ttft) * 1000})
        for left, right, key in ((gateway_label("mistralrs"), gateway_label("llamacpp"), "mistralrs_vs_llamacpp"),
                                 (engine_label("mistralrs"), engine_label("llamacpp"), "mistralrs_vs_llamacpp")):
            if left in targets and right in targets:
                out[key].append(_pair(records, model, left, right))
        for stack in sorted(t for t in targets if t.startswith(STACK_LABEL)):
            # The same gateway over the same engine, in containers against a local process: what the containers cost.
            out["stack_vs_gateway"] += [_pair(records, model, stack, gateway_label(engine)) for engine, name in ENGINE_NAMES.items()
                                        if stack.endswith(f", {name})") and gateway_label(engine) in targets]
        for ollama in sorted(t for t in targets if t.startswith("Ollama")):
            out["vs_ollama"] += [_pair(records, model, label, ollama) for label in (gateway_label("mistralrs"), gateway_label("llamacpp")) if label in targets]
    return out


def _pair(records: Sequence[RequestRecord], model: str, left: str, right: str) -> dict[str, Any]:
    left_tps, right_tps = _median_of(records, left, model, "tps"), _median_of(records, right, model, "tps")
    left_ttft, right_ttft = _median_of(records, left, model, "ttft"), _median_of(records, right, model, "ttft")
    return {"model": model, "left": left, "right": right, "decode_ratio": left_tps / right_tps, "ttft_ratio": left_ttft / right_ttft,
            "left_decode_tps": left_tps, "right_decode_tps": right_tps, "left_ttft_s": left_ttft, "right_ttft_s": right_ttft}


def write_csv(records: Sequence[RequestRecord], path: Path) -> None:
    """A row per request, warm-ups included and flagged."""
    names = [f.name for f in fields(RequestRecord)]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for record in records:
            writer.writerow(record.row())


def build_summary(result: BenchmarkResult, calibration: dict[str, float] | None, slo: Slo | None = None) -> dict[str, Any]:
    """summary.json's content."""
    plan = asdict(result.plan)
    return {"run": {"plan": plan, "started_at": result.started_at, "load_average": result.load_average, "other_work": result.other_work,
                    "unsampled": result.unsampled,
                    "generator": result.generator,
                    "skipped": result.skipped},
            "machine": machine(), "targets": result.targets, "prompt_tokens": result.prompt_tokens, "resources": result.resources,
            "calibration": calibration or {}, "groups": groups(result.records, slo),
            "comparisons": comparisons(result.records, result.plan.models)}


def _f(value: object, digits: int = 3) -> str:
    return "n/a" if not isinstance(value, (int, float)) or math.isnan(value) else f"{value:.{digits}f}"


def _signed(value: object) -> str:
    return "n/a" if not isinstance(value, (int, float)) or math.isnan(value) else f"{value:+.1f}"


CONTENDED_SHARE = 0.1
"""Other work above this share of the machine's cores marks the figures as taken under contention."""


def _contention_line(other: dict[str, float], cores: int, unsampled: list[str]) -> str:
    """What the machine's CPU went to while the targets were measured; other work is named when it is more than noise,
    and no verdict is given while a target's own CPU is hidden inside it."""
    if not other:
        return "- Other work on the machine: not measured"
    line = (f"- CPU while measuring: {_f(other['busy_cores'], 2)} of {cores} cores busy on average, {_f(other['own_cores'], 2)} of them "
            f"the targets and the generator, {_f(other['other_cores'], 2)} other work (time stolen by a hypervisor included)")
    if unsampled:
        return line + f"; the CPU of {', '.join(unsampled)} could not be read and is counted as other work, so no verdict on contention"
    return line + (" — other work shared the CPU: figures were taken under contention" if other["other_share"] > CONTENDED_SHARE else "")


def markdown(summary: dict[str, Any]) -> str:
    """performance.md: the machine, the comparison table, the ratios, resources and the generator's own ceiling."""
    run, box = summary["run"], summary["machine"]
    load = run["load_average"]
    lines = ["# Performance comparison", "",
             f"Run {run['started_at']}, plan `{run['plan']['name']}` ({run['plan']['iterations']} iterations, {run['plan']['max_tokens']} tokens per answer, "
             f"models {', '.join(run['plan']['models'])}). Targets took turns batch by batch.", "",
             *([f"**The time budget of {run['plan']['budget_s']:.0f} s was spent: {len(run['skipped'])} batches were skipped** "
                f"({'; '.join(run['skipped'])}).", ""] if run.get("skipped") else []),
             "## Machine", "",
             f"- CPU: {box['cpu']}, {box['cores']} cores; memory {box['memory_bytes'] / 2**30:.1f} GiB; GPU: {box['gpu']}; kernel {box['kernel']}",
             f"- Load average (1, 5, 15 min) at start {', '.join(_f(x, 2) for x in load.get('start', []))}, "
             f"at end {', '.join(_f(x, 2) for x in load.get('end', []))}",
             _contention_line(run.get("other_work") or {}, box["cores"] or 1, run.get("unsampled") or []),
             "- Versions: " + ", ".join(f"{k} {v}" for k, v in box["versions"].items()), "",
             "## Comparison", "",
             "| target | model | load | prompt | stream | ok | failed | TTFT p50 s | TTFT p95 s | TPOT p50 ms | ITL p50 ms | e2e p50 s | decode tok/s p50 | output tok/s | req/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for g in sorted(summary["groups"], key=lambda g: (g["model"], g["phase"], g["load"], g["prompt_size"], g["target"])):
        lines.append(f"| {g['target']} | {g['model']} | {g['phase']} {g['load']} | {g['prompt_size']} ({_f(g['prompt_tokens'], 0)} tok) | {g['stream']} "
                     f"| {g['completed']} | {g['failed']} | {_f(g['ttft_s']['p50'])} | {_f(g['ttft_s']['p95'])} | {_f(g['tpot_s']['p50'] * 1000, 1)} "
                     f"| {_f(g['itl_s']['p50'] * 1000, 1)} | {_f(g['e2e_s']['p50'])} | {_f(g['decode_tokens_per_s']['p50'], 1)} "
                     f"| {_f(g['output_throughput'], 1)} | {_f(g['request_throughput'], 2)} |")
    comp = summary["comparisons"]
    lines += ["", "## Ratios (synchronous, short prompt, medians)", "", "| comparison | model | decode ratio | TTFT (added, or ratio) |", "|---|---|---|---|"]
    for c in comp["gateway_vs_engine"]:
        lines.append(f"| gateway + {ENGINE_NAMES[c['engine']]} / raw engine | {c['model']} | {_f(c['decode_ratio'])} "
                     f"({_f(c['gateway_decode_tps'], 1)} / {_f(c['engine_decode_tps'], 1)} tok/s) | {_signed(c['ttft_added_ms'])} ms |")
    for c in comp["mistralrs_vs_llamacpp"] + comp["stack_vs_gateway"] + comp["vs_ollama"]:
        lines.append(f"| {c['left']} / {c['right']} | {c['model']} | {_f(c['decode_ratio'])} ({_f(c['left_decode_tps'], 1)} / "
                     f"{_f(c['right_decode_tps'], 1)} tok/s) | ratio {_f(c['ttft_ratio'], 2)} ({_f(c['left_ttft_s'])} / {_f(c['right_ttft_s'])} s) |")
    lines += ["", "## Memory and CPU of the servers (sampled during the run: /proc for processes, docker stats for containers)", "", "| target | peak RSS MiB | CPU s | mean cores |", "|---|---|---|---|"]
    for name, figures in summary["resources"].items():
        lines.append(f"| {name} | {_f(figures.get('peak_rss_bytes', math.nan) / 2**20, 0)} | {_f(figures.get('cpu_seconds'), 1)} | {_f(figures.get('mean_cores'), 2)} |")
    cal, gen = summary["calibration"], run["generator"]
    lines += ["", "## The load generator", "",
              f"- During the run it used {_f(gen.get('cpu_seconds'), 1)} CPU s in {_f(gen.get('wall_seconds'), 1)} s ({_f(gen.get('mean_cores'), 3)} cores)."]
    if cal:
        lines.append(f"- Against a trivial local streaming server it spent {_f(cal['cpu_per_chunk_us'], 1)} µs of CPU per chunk, a ceiling of "
                     f"{_f(cal['cpu_bound_chunks_per_second'], 0)} chunks/s (reached {_f(cal['chunks_per_second'], 0)} chunks/s at concurrency "
                     f"{_f(cal.get('concurrency', math.nan), 0)}); the busiest batch here needed {_f(cal.get('peak_chunk_rate', math.nan), 1)} chunks/s.")
    lines += ["", "Definitions: TTFT ends at the first non-empty content; TPOT = (e2e − TTFT)/(n − 1) with n from the server's count; "
              "ITL = gaps between content chunks, pooled; e2e ends at the last content chunk; failures are counted, warm-ups left out.", ""]
    return "\n".join(lines)


def _without_nan(value: Any) -> Any:
    """JSON has no NaN: an empty figure becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nan(v) for v in value]
    return value


def write(result: BenchmarkResult, directory: Path, calibration: dict[str, float] | None = None, slo: Slo | None = None) -> dict[str, Any]:
    """Write the three files and return the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(result.records, directory / "requests.csv")
    summary = build_summary(result, calibration, slo)
    (directory / "summary.json").write_text(json.dumps(_without_nan(summary), indent=2, default=str))
    (directory / "performance.md").write_text(markdown(summary))
    return summary
