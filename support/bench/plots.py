"""PNG plots of a benchmark: latency distributions, throughput against concurrency, TTFT against prompt size, tokens/s."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only: no display on a test machine

import matplotlib.pyplot as plt

from support.bench.measure import RequestRecord
from support.bench.metrics import summarise


def _measured(records: Sequence[RequestRecord]) -> list[RequestRecord]:
    return [r for r in records if not r.warmup and r.ok]


def _series_names(records: Sequence[RequestRecord]) -> list[str]:
    return sorted({f"{r.target} · {r.model}" for r in records})


def latency(records: Sequence[RequestRecord], path: Path) -> Path:
    """Box plots of TTFT and end-to-end latency per target and model: short prompts, one at a time (log scale)."""
    measured = [r for r in _measured(records) if r.prompt_size == "short" and r.stream and r.phase == "synchronous"]
    names = _series_names(measured)
    figure, axes = plt.subplots(1, 2, figsize=(12, 0.6 * len(names) + 2.5), sharey=True)
    for axis, title, value in ((axes[0], "time to first token (s)", "ttft_s"), (axes[1], "end-to-end latency (s)", "e2e_s")):
        data = [[getattr(r, value) for r in measured if f"{r.target} · {r.model}" == name and getattr(r, value) is not None] for name in names]
        axis.boxplot(data, orientation="horizontal", tick_labels=names)
        axis.set_xlabel(title)
        axis.set_xscale("log")
        axis.grid(axis="x", which="both", alpha=0.3)
    figure.suptitle("Latency distributions, short prompt, one request at a time")
    return _save(figure, path)


def throughput(records: Sequence[RequestRecord], path: Path) -> Path:
    """Output tokens/s against the number of requests in flight (one at a time is 1), per target and model.

    Each batch's throughput is over its own wall time; a level's point is the median over its batches.
    """
    batches: dict[str, dict[int, dict[int, list[RequestRecord]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for r in records:
        if r.warmup or not r.stream or r.prompt_size != "short":
            continue
        level = r.concurrency if r.phase == "concurrency" else 1 if r.phase == "synchronous" else 0
        if level:
            batches[f"{r.target} · {r.model}"][level][r.iteration].append(r)
    figure, axis = plt.subplots(figsize=(9, 5))
    for name, levels in sorted(batches.items()):
        xs = sorted(levels)
        axis.plot(xs, [statistics.median(summarise(b)["output_throughput"] for b in levels[x].values()) for x in xs], marker="o", label=name)
    axis.set_xscale("log", base=2)
    axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_xlabel("requests in flight")
    axis.set_ylabel("output tokens/s")
    axis.set_title("Throughput against concurrency (short prompts)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")
    return _save(figure, path)


def ttft_by_prompt(records: Sequence[RequestRecord], path: Path) -> Path:
    """Median TTFT against the prompt's length in tokens, synchronous requests."""
    points: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in _measured(records):
        if r.phase == "synchronous" and r.ttft_s is not None:
            points[f"{r.target} · {r.model}"][r.prompt_tokens].append(r.ttft_s)
    figure, axis = plt.subplots(figsize=(9, 5))
    for name, sizes in sorted(points.items()):
        xs = sorted(sizes)
        axis.plot(xs, [statistics.median(sizes[x]) for x in xs], marker="o", label=name)
    axis.set_xlabel("prompt tokens (the server's count)")
    axis.set_ylabel("median time to first token (s)")
    axis.set_title("Time to first token against prompt size")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small")
    return _save(figure, path)


def decode_rate(records: Sequence[RequestRecord], path: Path) -> Path:
    """Median decode tokens/s per target and model, one request at a time."""
    rates: dict[str, list[float]] = defaultdict(list)
    for r in _measured(records):
        if r.phase == "synchronous" and r.ttft_s is not None and r.e2e_s is not None and r.output_tokens > 1 and r.e2e_s > r.ttft_s:
            rates[f"{r.target} · {r.model}"].append((r.output_tokens - 1) / (r.e2e_s - r.ttft_s))
    names = sorted(rates)
    figure, axis = plt.subplots(figsize=(9, 0.5 * len(names) + 2))
    axis.barh(names, [statistics.median(rates[n]) for n in names], color="tab:blue")
    axis.set_xlabel("decode tokens/s (median, (n − 1)/(e2e − TTFT))")
    axis.set_title("Decode speed per target")
    axis.grid(axis="x", alpha=0.3)
    return _save(figure, path)


def _save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def draw_all(records: Sequence[RequestRecord], directory: Path) -> list[Path]:
    """Every plot, as PNG files in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return [latency(records, directory / "latency.png"), throughput(records, directory / "throughput_vs_concurrency.png"),
            ttft_by_prompt(records, directory / "ttft_vs_prompt_size.png"), decode_rate(records, directory / "decode_tokens_per_s.png")]
