"""The mistralrs_* family carries exactly the gateway's own observations, under mistral.rs's names."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stack.gateway.metrics import TTFT_BUCKETS, Metrics


def _values(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def metrics() -> Metrics:
    m = Metrics()
    m.ttft.labels("chat", "a").observe(0.3)
    m.ttft.labels("generate", "a").observe(0.05)
    m.ttft.labels("chat", "b").observe(3.0)
    m.itl.labels("chat", "a").observe(0.02)
    m.prompt_tokens.labels("a").inc(5)
    m.generation_tokens.labels("a").inc(7)
    m.generation_tokens.labels("b").inc(2)
    m.finished.labels("a", "stop").inc()
    m.finished.labels("b", "stop").inc()
    m.finished.labels("b", "length").inc()
    m.in_flight.set(1)
    m.queued.set(2)
    m.parallel_capacity.set(4)
    return m


def test_time_to_first_token_adds_the_endpoints_of_each_model(metrics: Metrics) -> None:
    values = _values(metrics)
    assert values[("mistralrs_time_to_first_token_seconds_count", (("model", "a"),))] == 2
    assert values[("mistralrs_time_to_first_token_seconds_sum", (("model", "a"),))] == pytest.approx(0.35)
    assert values[("mistralrs_time_to_first_token_seconds_bucket", (("le", "0.1"), ("model", "a")))] == 1
    assert values[("mistralrs_time_to_first_token_seconds_bucket", (("le", "+Inf"), ("model", "b")))] == 1
    buckets = [name for name in values if name[0] == "mistralrs_time_to_first_token_seconds_bucket" and ("model", "a") in name[1]]
    assert len(buckets) == len(TTFT_BUCKETS) + 1


def test_tokens_sequences_and_scheduler_state(metrics: Metrics) -> None:
    values = _values(metrics)
    assert values[("mistralrs_tokens_processed_total", ())] == 14
    assert values[("mistralrs_sequences_completed_total", (("reason", "stop"),))] == 2
    assert values[("mistralrs_sequences_completed_total", (("reason", "length"),))] == 1
    assert values[("mistralrs_inter_token_latency_seconds_count", (("model", "a"),))] == 1
    assert values[("mistralrs_sequences_running", ())] == 1
    assert values[("mistralrs_sequences_waiting", ())] == 2
    assert values[("mistralrs_sequences_capacity", ())] == 4


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (make monitoring-tools)")
def test_the_exposition_passes_promtool(metrics: Metrics) -> None:
    metrics.model_load_failures.labels("a", "mistralrs").inc()
    result = subprocess.run(["promtool", "check", "metrics"], input=generate_latest(metrics.registry), capture_output=True, check=False)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
