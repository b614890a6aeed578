"""Prometheus metrics for the gateway: requests, latency, tokens, scheduler state, models, the process.

Each family says whose figure it is. ``gateway_*``: what the gateway measured on its own clock or counted
itself (its requests, the time to the first token it streamed, its queue). ``engine_*``: what the engine
reported about each generation, published as it said it (mistral.rs's usage block), never recomputed.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

# vLLM's buckets, which mistral.rs also uses, so dashboards and PromQL carry over between the engines.
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)
ITL_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0)
E2E_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0)
HTTP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, *E2E_BUCKETS[3:])
LOAD_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

ENGINES_THAT_REPORT = frozenset({"mistralrs"})
"""Engines whose end of generation carries their own counts and times: mistral.rs's usage block (prompt and completion
tokens, total_prompt_time_sec, total_completion_time_sec). The llama.cpp runner times llama.cpp's calls on its own
clock, which is the gateway's view, already in gateway_*."""


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
        # The engine's own figures, as it reported them at the end of each generation (mistral.rs: its usage block).
        self.engine_prompt_tokens = Counter("engine_prompt_tokens", "Prompt tokens the engine reported evaluating.", ["model", "engine"], registry=r)
        self.engine_generation_tokens = Counter("engine_generation_tokens", "Tokens the engine reported generating.", ["model", "engine"], registry=r)
        self.engine_prompt_seconds = Counter("engine_prompt_seconds", "Prompt processing time the engine reported.", ["model", "engine"], registry=r)
        self.engine_generation_seconds = Counter("engine_generation_seconds", "Generation time the engine reported.", ["model", "engine"], registry=r)
        self.build_info = Gauge("gateway_build_info", "Versions of the gateway, the Ollama API it follows and its engine.", ["version", "engine", "engine_version"], registry=r)

    def engine_reported(self, model: str, engine: str, prompt_tokens: int, generation_tokens: int, prompt_seconds: float,
                        generation_seconds: float) -> None:
        """Count what the engine said about one finished generation; only an engine that times itself is counted."""
        if engine not in ENGINES_THAT_REPORT:
            return
        self.engine_prompt_tokens.labels(model, engine).inc(prompt_tokens)
        self.engine_generation_tokens.labels(model, engine).inc(generation_tokens)
        self.engine_prompt_seconds.labels(model, engine).inc(max(0.0, prompt_seconds))
        self.engine_generation_seconds.labels(model, engine).inc(max(0.0, generation_seconds))

