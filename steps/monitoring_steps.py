"""Steps for monitoring: scrape targets, metric accuracy, dashboard data, resource metrics, Grafana.

Example:
    When a client sends 3 chat requests
    Then the request counter for /api/chat with status 200 rose by exactly 3
"""

from __future__ import annotations

import time

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, close_to, empty, equal_to, greater_than, has_item, less_than_or_equal_to

from support.monitoring import accuracy, traffic
from support.monitoring.accuracy import read, selector, settle
from support.monitoring.fixture import current
from support.report.allure import attach_json

GATEWAY_FAMILIES = ("gateway_", "engine_")
ENGINE_FIGURES = ("engine_prompt_tokens_total", "engine_generation_tokens_total", "engine_prompt_seconds_total", "engine_generation_seconds_total")
"""What the engine itself reported at the end of each generation (stack/gateway/metrics.py)."""




# -- targets -------------------------------------------------------------------------------------------


@when("Prometheus is asked for its scrape targets")
def step_targets(context: Context) -> None:
    """Wait for a first scrape of the gateway, then list the active targets."""
    monitoring = current(context)
    settle(monitoring, since=0)
    context.targets = monitoring.prometheus.targets()
    attach_json("scrape targets", [t.__dict__ for t in context.targets])


@then('the {job} target is up with the service label "{service}"')
def step_target_up(context: Context, job: str, service: str) -> None:
    """The job has a healthy target carrying the label."""
    matching = [t for t in context.targets if t.job == job]
    assert_that(len(matching), greater_than(0), f"no target of job {job} among {[t.job for t in context.targets]}")
    for target in matching:
        assert_that(target.health, equal_to("up"), f"{target.scrape_url}: {target.last_error}")
        assert_that(target.labels.get("service"), equal_to(service), f"labels of {target.scrape_url}: {target.labels}")


@when("Prometheus is asked which metrics the gateway job has")
def step_metric_names(context: Context) -> None:
    """Collect the metric names of every series of the gateway job."""
    monitoring = current(context)
    settle(monitoring, since=0)
    series = monitoring.prometheus.vector(f'group by (__name__) ({{job="{monitoring.gateway_job}"}})')
    context.metric_names = sorted(sample.labels["__name__"] for sample in series)
    attach_json("metric names of the gateway job", context.metric_names)


@then("{metric} is among them")
def step_metric_held(context: Context, metric: str) -> None:
    """The metric is among the gateway job's."""
    assert_that(context.metric_names, has_item(metric))


# -- accuracy ------------------------------------------------------------------------------------------


@when("a client sends {count:d} {kind} requests")
def step_send_requests(context: Context, count: int, kind: str) -> None:
    """Read the counters after a scrape, send the requests, and wait for the next scrape."""
    monitoring = current(context)
    context.kind = kind
    context.counters_read_at = settle(monitoring)
    context.before = {status: read(monitoring, _requests(context, kind, status)).value for status in ("200", "400", "404")}
    context.exchanges = [traffic.send(kind, context.settings.model, context.ollama, context.openai) for _ in range(count)]
    settle(monitoring)


def _requests(context: Context, kind: str, status: str) -> str:
    model = "no-such-model:latest" if kind == "unknown model" else context.settings.model
    return selector("gateway_requests_total", {"endpoint": traffic.KINDS[kind].endpoint, "model": model, "status": status})


@then("the request counter for {endpoint} with status {status} rose by exactly {count:d}")
def step_counter_rose(context: Context, endpoint: str, status: str, count: int) -> None:
    """The counter for the requests' endpoint, model and status rose by the number sent."""
    statuses = [exchange.status for exchange in context.exchanges]
    assert_that(statuses, equal_to([int(status)] * count), f"the requests were not answered {status}: {context.exchanges[-1].describe()}")
    assert_that(traffic.KINDS[context.kind].endpoint, equal_to(endpoint), "the table names another endpoint than the kind uses")
    query = _requests(context, context.kind, status)
    after = read(current(context), query).value
    assert_that(after - context.before[status], equal_to(float(count)), f"{query}: {context.before[status]} before, {after} after {count} requests")


@when("a client streams {count:d} chat answers")
def step_stream_answers(context: Context, count: int) -> None:
    """Read token counters and histograms after a scrape, stream the answers, wait for the next scrape."""
    monitoring = current(context)
    settle(monitoring)
    context.before = _stream_readings(context)
    context.exchanges = [traffic.send("chat", context.settings.model, context.ollama, context.openai, stream=True) for _ in range(count)]
    for exchange in context.exchanges:
        assert_that(exchange.status, equal_to(200), exchange.describe())
    settle(monitoring)
    context.after = _stream_readings(context)
    attach_json("metrics before and after", {"before": context.before, "after": context.after})


def _stream_readings(context: Context) -> dict[str, float]:
    model = {"model": context.settings.model}
    queries = {
        "prompt": selector("gateway_prompt_tokens_total", model),
        "generated": selector("gateway_generation_tokens_total", model),
        "ttft_sum": selector("gateway_time_to_first_token_seconds_sum", {"endpoint": "chat", **model}),
    }
    for histogram in ("gateway_e2e_request_latency_seconds", "gateway_time_to_first_token_seconds"):
        queries[histogram] = selector(f"{histogram}_count", {"endpoint": "chat", **model})
    for figure in ENGINE_FIGURES:
        queries[figure] = selector(figure, model)
    monitoring = current(context)
    return {name: read(monitoring, query).value for name, query in queries.items()}


def _rise(context: Context, name: str) -> float:
    return float(context.after[name] - context.before[name])


@then("the prompt token counter rose by the sum of the answers' prompt_eval_count")
def step_prompt_tokens(context: Context) -> None:
    """gateway_prompt_tokens_total rose by what the clients were told."""
    told = sum(traffic.token_counts(exchange)[0] for exchange in context.exchanges)
    assert_that(_rise(context, "prompt"), equal_to(float(told)), "prompt tokens: metric rise vs sum of prompt_eval_count")


@then("the generated token counter rose by the sum of their eval_count")
def step_generated_tokens(context: Context) -> None:
    """gateway_generation_tokens_total rose by what the clients were told."""
    told = sum(traffic.token_counts(exchange)[1] for exchange in context.exchanges)
    assert_that(_rise(context, "generated"), equal_to(float(told)), "generated tokens: metric rise vs sum of eval_count")


@then("the engine's token counters rose by the answers' prompt_eval_count and eval_count")
def step_engine_tokens(context: Context) -> None:
    """engine_prompt_tokens_total and engine_generation_tokens_total rose by what the engine told the client."""
    prompt = sum(traffic.token_counts(exchange)[0] for exchange in context.exchanges)
    generated = sum(traffic.token_counts(exchange)[1] for exchange in context.exchanges)
    rises = {figure: _rise(context, figure) for figure in ENGINE_FIGURES}
    attach_json("engine figures' rise", {**rises, "client_prompt_eval_count": prompt, "client_eval_count": generated})
    assert_that(rises["engine_prompt_tokens_total"], equal_to(float(prompt)), "engine prompt tokens vs sum of prompt_eval_count")
    assert_that(rises["engine_generation_tokens_total"], equal_to(float(generated)), "engine generated tokens vs sum of eval_count")


@then("the engine's prompt and generation seconds rose by more than nothing and less than the client waited")
def step_engine_seconds(context: Context) -> None:
    """The engine's own times are real (above zero) and fit inside the answers' wall time as the client measured it."""
    waited = sum(exchange.elapsed_s for exchange in context.exchanges)
    engine = _rise(context, "engine_prompt_seconds_total") + _rise(context, "engine_generation_seconds_total")
    attach_json("engine time vs client time", {"engine_seconds": engine, "client_seconds": waited})
    assert_that(_rise(context, "engine_prompt_seconds_total"), greater_than(0.0), "the engine reported no prompt time")
    assert_that(_rise(context, "engine_generation_seconds_total"), greater_than(0.0), "the engine reported no generation time")
    assert_that(engine, less_than_or_equal_to(waited), f"the engine reports {engine:.3f} s of work in answers the client got in {waited:.3f} s")


@then("the {histogram} histogram counted exactly {count:d} more observations")
def step_histogram_count(context: Context, histogram: str, count: int) -> None:
    """The histogram's _count rose by the number of answers."""
    assert_that(_rise(context, histogram), equal_to(float(count)), f"{histogram}_count rise")


@then("the mean time to first token in the metrics is within {tolerance:g} s of the client's")
def step_ttft_agrees(context: Context, tolerance: float) -> None:
    """The server's mean TTFT (histogram sum over count) is close to the client's mean first-chunk time."""
    client = sum(traffic.client_ttft_s(exchange) for exchange in context.exchanges) / len(context.exchanges)
    server = _rise(context, "ttft_sum") / _rise(context, "gateway_time_to_first_token_seconds")
    attach_json("time to first token", {"client_mean_s": client, "metrics_mean_s": server, "tolerance_s": tolerance})
    assert_that(server, close_to(client, tolerance), f"mean TTFT: metrics {server:.3f} s, client {client:.3f} s")


@given("the gateway has answered a chat request")
def step_answered_chat(context: Context) -> None:
    """One valid chat request, so every per-model series exists."""
    exchange = traffic.send("chat", context.settings.model, context.ollama, context.openai)
    assert_that(exchange.status, equal_to(200), exchange.describe())


@when("Prometheus scrapes the gateway once more")
def step_scrape_once_more(context: Context) -> None:
    """Read /metrics directly, then wait for Prometheus to scrape after that."""
    monitoring = current(context)
    served_at = time.time()
    context.served = accuracy.served_samples(f"{context.stack.ollama_url}/metrics", GATEWAY_FAMILIES)
    settle(monitoring, since=served_at)


@then("every gateway_* and engine_* sample in Prometheus equals the one /metrics serves")
def step_stored_equals_served(context: Context) -> None:
    """Both sides have the same series with the same values."""
    monitoring = current(context)
    stored = accuracy.stored_samples(monitoring.prometheus.vector(f'{{job="{monitoring.gateway_job}", __name__=~"gateway_.*|engine_.*"}}'))
    problems = accuracy.differences(context.served, stored)
    attach_json("served and stored", {"served": len(context.served), "stored": len(stored), "differences": problems})
    assert_that(problems, empty(), f"{len(context.served)} samples served, {len(stored)} stored")


# -- resources -----------------------------------------------------------------------------------------


@when("Prometheus scrapes the gateway")
def step_scrape(context: Context) -> None:
    """Wait for a scrape, then read the OS's view of the gateway process."""
    monitoring = current(context)
    settle(monitoring)
    pid = context.stack.gateway_pid
    assert pid is not None, "the gateway process is not running"
    context.rss_bytes = accuracy.process_rss_bytes(pid)
    context.rss_metric = read(monitoring, selector("process_resident_memory_bytes", {})).value


@then("the gateway's resident memory metric is within {percent:d}% of the RSS the operating system reports")
def step_rss_agrees(context: Context, percent: int) -> None:
    """process_resident_memory_bytes against /proc/<pid>/status VmRSS."""
    attach_json("resident memory", {"metric_bytes": context.rss_metric, "os_rss_bytes": context.rss_bytes})
    assert_that(context.rss_metric, close_to(context.rss_bytes, context.rss_bytes * percent / 100),
                f"metric {context.rss_metric:.0f} B, OS {context.rss_bytes} B")
