"""The report from hand-made records: files, comparison rows and ratios, plots, and the checks' verdicts."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from support.bench import report
from support.bench.checks import gateway_overhead, generator_headroom, memory, no_failures_at, short_ttft_p95
from support.bench.measure import RequestRecord
from support.bench.plan import QUICK
from support.bench.plots import draw_all
from support.bench.profile import Profile, load_profile
from support.bench.resources import ServiceSampler, Usage, contention, machine_busy_seconds
from support.bench.run import BenchmarkResult
from support.bench.targets import engine_label, gateway_label, stack_label
from support.stacks.base import ServiceUnsupported, ServiceUsage


def record(target: str, start: float, ttft: float, tps: float, phase: str = "synchronous", load: str = "sync", ok: bool = True,
           prompt: str = "short", concurrency: int = 1) -> RequestRecord:
    tokens = 11
    offsets = [ttft + i / tps for i in range(tokens)]
    return RequestRecord(target=target, model="smollm2:135m", api="ollama-chat", phase=phase, load=load, concurrency=concurrency, iteration=0,
                         warmup=False, prompt_size=prompt, stream=True, scheduled_s=start, started_s=start, dispatch_delay_s=0.0, ok=ok,
                         status=200 if ok else 500, error="" if ok else "HTTP 500", ttft_s=ttft if ok else None, e2e_s=offsets[-1] if ok else 0.0,
                         output_tokens=tokens if ok else 0, prompt_tokens=30 if prompt == "short" else 250, token_source="eval_count",
                         chunk_offsets_s=offsets if ok else [])


def result(gateway_tps: float = 95.0, failed_at_8: bool = False) -> BenchmarkResult:
    records = []
    for i in range(4):
        records += [record(gateway_label("llamacpp"), i, 0.020, gateway_tps), record(engine_label("llamacpp"), i, 0.012, 100.0),
                    record(gateway_label("mistralrs"), i, 0.9, 38.0), record(engine_label("mistralrs"), i, 0.88, 39.0),
                    record(gateway_label("llamacpp"), i, 0.2, gateway_tps, prompt="medium")]
    for i in range(8):
        records.append(record(gateway_label("llamacpp"), 10 + i / 8, 0.5, 50.0, "concurrency", "c=8", ok=not (failed_at_8 and i == 3), concurrency=8))
    warm = record(gateway_label("llamacpp"), -5, 3.0, 1.0)
    warm.warmup = True
    resources = {gateway_label("llamacpp"): {"peak_rss_bytes": 600 * 2**20, "last_rss_bytes": 1, "cpu_seconds": 3.0, "mean_cores": 1.0, "samples": 9}}
    return BenchmarkResult(QUICK, [warm, *records], [{"label": gateway_label("llamacpp")}], resources, {"smollm2:135m": {"short": 20}},
                           {"cpu_seconds": 1.0, "wall_seconds": 20.0, "mean_cores": 0.05}, {"start": [3.0, 2.0, 1.0], "end": [4.0, 2.0, 1.0]}, "now",
                           other_work=contention(busy_seconds=30.0, own_seconds=18.0, wall_seconds=20.0, cores=2))


CALIBRATION = {"failed": 0, "cpu_per_chunk_us": 50.0, "cpu_bound_chunks_per_second": 20000.0, "chunks_per_second": 9000.0, "concurrency": 8,
               "peak_chunk_rate": 100.0}


def profile(**overrides: float) -> Profile:
    return Profile(**{**load_profile("cpu-2core").__dict__, **overrides})


def test_the_report_writes_a_row_per_request_a_summary_and_the_comparison(tmp_path: Path) -> None:
    summary = report.write(result(), tmp_path, CALIBRATION)
    rows = list(csv.DictReader((tmp_path / "requests.csv").open()))
    assert len(rows) == 29 and sum(row["warmup"] == "True" for row in rows) == 1
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["machine"]["cores"] and saved["run"]["load_average"]["start"] == [3.0, 2.0, 1.0]
    pairs = {c["engine"]: c for c in summary["comparisons"]["gateway_vs_engine"]}
    assert pairs["llamacpp"]["decode_ratio"] == pytest.approx(0.95)
    assert pairs["llamacpp"]["ttft_added_ms"] == pytest.approx(8.0)
    # Warm-ups stay in the CSV but out of every figure.
    assert all(g["ttft_s"]["max"] < 3.0 for g in summary["groups"])
    text = (tmp_path / "performance.md").read_text()
    assert "llama.cpp (Ollama's engine)" in text and "| gateway + mistral.rs / gateway + llama.cpp (Ollama's engine) |" in text
    assert "0.60 other work (time stolen by a hypervisor included) — other work shared the CPU: figures were taken under contention" in text


def test_a_busy_machine_is_not_called_contended_when_the_benchmark_itself_keeps_it_busy(tmp_path: Path) -> None:
    busy = result()
    busy.other_work = contention(busy_seconds=39.0, own_seconds=38.0, wall_seconds=20.0, cores=2)
    report.write(busy, tmp_path, CALIBRATION)
    text = (tmp_path / "performance.md").read_text()
    assert "1.95 of 2 cores busy on average, 1.90 of them the targets and the generator, 0.05 other work" in text
    assert "contention" not in text


def test_a_target_whose_cpu_is_hidden_gets_no_verdict(tmp_path: Path) -> None:
    hidden = result()
    hidden.unsampled = ["ollama (given by URL)"]
    report.write(hidden, tmp_path, CALIBRATION)
    text = (tmp_path / "performance.md").read_text()
    assert "the CPU of ollama (given by URL) could not be read and is counted as other work, so no verdict" in text
    assert "taken under contention" not in text


def test_the_machine_busy_time_leaves_out_idle_and_iowait(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 20 30 5000 400 5 6 7 50 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n", encoding="ascii")
    assert machine_busy_seconds(stat) == pytest.approx(168 / os.sysconf("SC_CLK_TCK"))
    assert machine_busy_seconds(tmp_path / "absent") is None


def test_the_plots_are_written_as_png_files(tmp_path: Path) -> None:
    paths = draw_all(result().records, tmp_path)
    assert [p.name for p in paths] == ["latency.png", "throughput_vs_concurrency.png", "ttft_vs_prompt_size.png", "decode_tokens_per_s.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_the_checks_pass_a_good_run_and_reject_a_run_that_gets_a_detail_wrong(tmp_path: Path) -> None:
    good = report.write(result(), tmp_path / "good", CALIBRATION)
    bounds = profile(gateway_decode_share=0.9, gateway_ttft_added_ms=50, ttft_p95_short_s=1.0)
    assert no_failures_at(good, 8) == [] and gateway_overhead(good, bounds) == [] and short_ttft_p95(good, bounds) == []
    assert memory(good, bounds) == [] and generator_headroom(good, bounds) == []

    slow_gateway = report.write(result(gateway_tps=80.0), tmp_path / "slow", CALIBRATION)
    assert "kept 0.800" in " ".join(gateway_overhead(slow_gateway, bounds))
    failing = report.write(result(failed_at_8=True), tmp_path / "failing", CALIBRATION)
    assert "1 of 8 failed (HTTP 500)" in " ".join(no_failures_at(failing, 8))
    assert no_failures_at(good, 16) == ["expected batches at concurrency 16, but none ran"]
    assert short_ttft_p95(good, profile(ttft_p95_short_s=0.5))
    assert memory(good, profile(memory_max_mib=500))
    assert generator_headroom({**good, "calibration": {**CALIBRATION, "cpu_bound_chunks_per_second": 100.0}}, bounds)


def test_every_profile_names_every_bound() -> None:
    for path in Path(report.__file__).resolve().parents[2].joinpath("profiles").glob("*.yaml"):
        assert load_profile(str(path)).name == path.stem


def test_the_stack_under_test_in_containers_is_compared_with_the_local_gateway_over_its_engine() -> None:
    records = [record(gateway_label("mistralrs"), i, 0.9, 38.0) for i in range(3)]
    records += [record(stack_label("docker", "mistralrs"), i, 1.0, 34.2) for i in range(3)]
    pairs = report.comparisons(records, ["smollm2:135m"])["stack_vs_gateway"]
    assert [(p["left"], p["right"]) for p in pairs] == [(stack_label("docker", "mistralrs"), gateway_label("mistralrs"))]
    assert pairs[0]["decode_ratio"] == pytest.approx(0.9, rel=0.01)


class FakeStack:
    """Only what a service sampler asks of a stack driver: a service's usage, or the driver's failure."""

    def __init__(self, usage: ServiceUsage | None) -> None:
        self.usage = usage

    def service_usage(self, name: str) -> ServiceUsage:
        if self.usage is None:
            raise ServiceUnsupported(f"cannot measure {name}")
        return self.usage


def test_a_service_sampler_reads_the_driver_and_misses_a_sample_it_cannot_take() -> None:
    assert ServiceSampler(FakeStack(ServiceUsage(512 * 2**20, 3.5)), "gateway").read() == Usage(512 * 2**20, 3.5)  # type: ignore[arg-type]
    assert ServiceSampler(FakeStack(None), "gateway").read() is None  # type: ignore[arg-type]
