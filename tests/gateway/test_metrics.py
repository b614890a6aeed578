"""The metric families say whose figure they carry: the gateway's own (gateway_*) or the engine's as it reported it (engine_*)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stack.gateway.metrics import Metrics


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


def test_no_family_claims_the_engine_s_name_for_a_gateway_figure(metrics: Metrics) -> None:
    names = {name for name, _ in _values(metrics)}
    assert not [name for name in names if name.startswith("mistralrs_")]
    assert ("gateway_time_to_first_token_seconds_count", (("endpoint", "chat"), ("model", "a"))) in _values(metrics)


def test_the_engine_s_figures_are_counted_as_it_reported_them(metrics: Metrics) -> None:
    metrics.engine_reported("a", "mistralrs", 12, 5, 0.25, 0.5)
    metrics.engine_reported("a", "mistralrs", 3, 1, 0.05, 0.1)
    values = _values(metrics)
    labels = (("engine", "mistralrs"), ("model", "a"))
    assert values[("engine_prompt_tokens_total", labels)] == 15
    assert values[("engine_generation_tokens_total", labels)] == 6
    assert values[("engine_prompt_seconds_total", labels)] == pytest.approx(0.3)
    assert values[("engine_generation_seconds_total", labels)] == pytest.approx(0.6)


def test_an_engine_that_does_not_time_itself_publishes_no_engine_figures(metrics: Metrics) -> None:
    metrics.engine_reported("a", "llamacpp", 12, 5, 0.25, 0.5)
    assert not [key for key in _values(metrics) if key[0].startswith("engine_") and ("engine", "llamacpp") in key[1]]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (make monitoring-tools)")
def test_the_exposition_passes_promtool(metrics: Metrics) -> None:
    metrics.model_load_failures.labels("a", "mistralrs").inc()
    result = subprocess.run(["promtool", "check", "metrics"], input=generate_latest(metrics.registry), capture_output=True, check=False)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
