"""Prometheus metrics for the gateway: requests, latency, tokens, scheduler state, models, the process.

The gateway's own metrics are ``gateway_*``. The engine metrics are also exported under the names
``mistralrs serve`` uses (``mistralrs_*``), read from the same values at scrape time, so one dashboard
and one rule file serve this gateway and a real mistral.rs server alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

# vLLM's buckets, which mistral.rs also uses, so dashboards and PromQL carry over between the engines.
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)
ITL_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0)
E2E_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0)
HTTP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, *E2E_BUCKETS[3:])
LOAD_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """One registry per gateway, so tests can run several gateways in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        r = self.registry
        self.requests = Counter("gateway_requests", "HTTP requests answered, by endpoint, model and status.", ["endpoint", "method", "model", "status"], registry=r)
        self.request_duration = Histogram("gateway_request_duration_seconds", "Time from request to the last byte of the response.", ["endpoint", "model"], buckets=HTTP_BUCKETS, registry=r)
        self.ttft = Histogram("gateway_time_to_first_token_seconds", "Time from request to the first generated token.", ["endpoint", "model"], buckets=TTFT_BUCKETS, registry=r)
        self.itl = Histogram("gateway_inter_token_latency_seconds", "Time between consecutive generated tokens.", ["endpoint", "model"], buckets=ITL_BUCKETS, registry=r)
        self.e2e = Histogram("gateway_e2e_request_latency_seconds", "Time from request to the end of generation.", ["endpoint", "model"], buckets=E2E_BUCKETS, registry=r)
        self.prompt_tokens = Counter("gateway_prompt_tokens", "Prompt tokens evaluated.", ["model"], registry=r)
        self.generation_tokens = Counter("gateway_generation_tokens", "Tokens generated.", ["model"], registry=r)
        self.finished = Counter("gateway_generations_finished", "Generations by how they ended.", ["model", "reason"], registry=r)
        self.in_flight = Gauge("gateway_requests_in_flight", "Inference requests holding a slot.", registry=r)
        self.queued = Gauge("gateway_requests_queued", "Inference requests waiting for a slot.", registry=r)
        self.rejected = Counter("gateway_requests_rejected", "Inference requests refused because the queue was full.", registry=r)
        self.queue_capacity = Gauge("gateway_queue_capacity", "OLLAMA_MAX_QUEUE: how many requests may wait.", registry=r)
        self.parallel_capacity = Gauge("gateway_parallel_capacity", "Slots per model (OLLAMA_NUM_PARALLEL, bounded by the engine).", registry=r)
        self.model_loaded = Gauge("gateway_model_loaded", "1 while a model is loaded.", ["model", "engine"], registry=r)
        self.model_load_seconds = Histogram("gateway_model_load_seconds", "Time to load a model.", ["model", "engine"], buckets=LOAD_BUCKETS, registry=r)
        self.model_loads = Counter("gateway_model_loads", "Model loads.", ["model", "engine"], registry=r)
        self.model_unloads = Counter("gateway_model_unloads", "Model unloads, by reason.", ["model", "engine", "reason"], registry=r)
        self.model_load_failures = Counter("gateway_model_load_failures", "Model loads that failed: the runner exited or stalled while loading.", ["model", "engine"], registry=r)
        self.engine_up = Gauge("gateway_engine_up", "1 when the engine can serve, 0 after it failed.", ["engine"], registry=r)
        self.build_info = Gauge("gateway_build_info", "Versions of the gateway, the Ollama API it follows and its engine.", ["version", "engine", "engine_version"], registry=r)
        r.register(MistralrsView(self))


def _samples(metrics: Iterable[Metric], suffix: str = "") -> Iterator[tuple[dict[str, str], float]]:
    for metric in metrics:
        for sample in metric.samples:
            if sample.name == metric.name + suffix:
                yield sample.labels, sample.value


def _total(metrics: Iterable[Metric], suffix: str = "") -> float:
    return sum(value for _, value in _samples(metrics, suffix))


def _per_model_histogram(source: Histogram, name: str, documentation: str) -> HistogramMetricFamily:
    """The gateway's histogram with its endpoints added together, labelled by model as mistral.rs labels it."""
    buckets: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    sums: dict[str, float] = defaultdict(float)
    collected = list(source.collect())
    for labels, value in _samples(collected, "_bucket"):
        buckets[labels["model"]][labels["le"]] += value
    for labels, value in _samples(collected, "_sum"):
        sums[labels["model"]] += value
    family = HistogramMetricFamily(name, documentation, labels=["model"])
    for model, counts in buckets.items():
        ordered = sorted(counts.items(), key=lambda item: float(item[0]))
        family.add_metric([model], ordered, sum_value=sums[model])
    return family


class MistralrsView(Collector):
    """The engine metrics of ``mistralrs serve``, derived from the gateway's own when Prometheus scrapes."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def collect(self) -> Iterator[Metric]:
        m = self._m
        yield _per_model_histogram(m.ttft, "mistralrs_time_to_first_token_seconds", "Time from request to the first token (mistral.rs name).")
        yield _per_model_histogram(m.itl, "mistralrs_inter_token_latency_seconds", "Time between consecutive tokens (mistral.rs name).")
        processed = _total(m.prompt_tokens.collect(), "_total") + _total(m.generation_tokens.collect(), "_total")
        yield CounterMetricFamily("mistralrs_tokens_processed", "Prompt and generated tokens (mistral.rs name).", value=processed)
        completed = CounterMetricFamily("mistralrs_sequences_completed", "Generations by how they ended (mistral.rs name).", labels=["reason"])
        by_reason: dict[str, float] = defaultdict(float)
        for labels, value in _samples(m.finished.collect(), "_total"):
            by_reason[labels["reason"]] += value
        for reason, value in sorted(by_reason.items()):
            completed.add_metric([reason], value)
        yield completed
        for name, source, documentation in (
            ("mistralrs_sequences_running", m.in_flight, "Requests holding a slot (mistral.rs name)."),
            ("mistralrs_sequences_waiting", m.queued, "Requests waiting for a slot (mistral.rs name)."),
            ("mistralrs_sequences_capacity", m.parallel_capacity, "Slots of one model (mistral.rs name)."),
        ):
            yield GaugeMetricFamily(name, documentation, value=_total(source.collect()))
