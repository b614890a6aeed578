"""Steps for load: a soak at the profile's concurrency and duration, and a burst past OLLAMA_MAX_QUEUE.

Example:
    When clients keep the model busy at the profile's concurrency for the profile's duration
    Then no request of the soak failed
"""

from __future__ import annotations

import json
from dataclasses import replace

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, greater_than_or_equal_to, less_than, less_than_or_equal_to

from support import ollama
from support.reliability.gateways import scratch_dir, side_gateway
from support.reliability.hostile import resident_bytes
from support.reliability.load import burst, percentile, soak
from support.reliability.profile import profile_from_userdata
from support.reliability.prompts import REFERENCE_PROMPT
from support.report import reliability as figures


@when("clients keep the model busy at the profile's concurrency for the profile's duration")
def step_soak(context: Context) -> None:
    """Non-streamed generations without pause; -D soak=long picks the long soak."""
    profile = profile_from_userdata(context.config.userdata)
    length = context.config.userdata.get("soak", "short")
    concurrency, duration = profile("soak", length, "concurrency"), profile("soak", length, "duration_s")
    body = ollama.generate_body(context.settings.model, REFERENCE_PROMPT, stream=False, num_predict=profile("soak", "num_predict"))
    pid = context.stack.gateway_pid
    with allure.step(f"soak: {concurrency} clients for {duration} s"):
        context.soak = soak(context.stack.ollama_url, body, concurrency, duration,
                            lambda: resident_bytes(pid) if pid else 0, profile("soak", "request_timeout_s"))
    run = context.soak
    first, last = run.fifth(0), run.fifth(4)
    context.soak_figures = {
        "requests": len(run.records), "concurrency": concurrency, "duration s": duration, "errors": len(run.errors),
        "p50 first/last fifth s": f"{percentile(first, 0.5):.2f}/{percentile(last, 0.5):.2f}",
        "p90 first/last fifth s": f"{percentile(first, 0.9):.2f}/{percentile(last, 0.9):.2f}",
        "gateway RSS growth MiB": round(run.memory_growth() / 2**20, 1),
    }
    allure.attach("\n".join(f"{key}: {value}" for key, value in context.soak_figures.items()), name="soak figures",
                  attachment_type=allure.attachment_type.TEXT)
    figures.record(context.settings.results_dir, "load", f"soak ({length})", context.soak_figures)


@then("no request of the soak failed")
def step_soak_no_errors(context: Context) -> None:
    """Every request of the soak got a whole answer."""
    run = context.soak
    assert_that(len(run.records), greater_than(0), "the soak sent nothing")
    assert_that([record.detail for record in run.errors][:10], empty(), f"{len(run.errors)} of {len(run.records)} failed")


@then("the gateway's memory grew less than the profile's bound for the soak")
def step_soak_memory(context: Context) -> None:
    """Resident memory at the end less the first fifth's median, under the bound."""
    bound = profile_from_userdata(context.config.userdata)("soak", "rss_growth_bytes")
    growth = context.soak.memory_growth()
    assert_that(growth, less_than(bound), f"the gateway grew by {growth / 2**20:.1f} MiB over the soak")


@then("the latency percentiles of the last fifth stay within the profile's ratios of the first fifth's")
def step_soak_stable(context: Context) -> None:
    """p50 and p90 of the last fifth over the first fifth's, each under the profile's ratio."""
    profile = profile_from_userdata(context.config.userdata)
    first, last = context.soak.fifth(0), context.soak.fifth(4)
    assert_that(min(len(first), len(last)), greater_than(0), "a fifth of the soak finished no request")
    for share, key in ((0.5, "p50_ratio"), (0.9, "p90_ratio")):
        ratio = percentile(last, share) / percentile(first, share)
        assert_that(ratio, less_than_or_equal_to(profile("soak", key)), f"{key}: {context.soak_figures}")


@given("a gateway started with the profile's queue bound")
def step_queue_gateway(context: Context) -> None:
    """A gateway beside the stack with OLLAMA_MAX_QUEUE from the profile, on a scratch store, its model loaded."""
    max_queue = profile_from_userdata(context.config.userdata)("queue", "max_queue")
    scratch = scratch_dir("reliability-queue-", context.add_cleanup)
    context.queued = side_gateway(replace(context.settings, models_dir=str(scratch)), "queue-gateway",
                                  context.settings.engine, {"OLLAMA_MAX_QUEUE": str(max_queue)})
    context.queued.start()
    context.add_cleanup(context.queued.stop)
    context.max_queue = max_queue
    load = burst(context.queued.ollama_url, {"model": context.settings.model}, 1, 120.0)
    assert_that(load.statuses, equal_to([200]), "the model did not load")


@when("the profile's burst of requests is sent at once")
def step_burst(context: Context) -> None:
    """Non-streamed generations, all released together."""
    profile = profile_from_userdata(context.config.userdata)
    body = ollama.generate_body(context.settings.model, REFERENCE_PROMPT, stream=False, num_predict=8)
    context.burst = burst(context.queued.ollama_url, body, profile("queue", "burst"), profile("queue", "request_timeout_s"))


@then('the requests past the queue got 503 "{message}"')
def step_busy(context: Context, message: str) -> None:
    """At least the burst less the queue and the running slot got 503 with Ollama's error object."""
    statuses = context.burst.statuses
    expected = len(statuses) - context.max_queue - 1
    assert_that(statuses.count(503), greater_than_or_equal_to(expected), f"statuses: {sorted(statuses)}")
    wrong = [text for text in context.burst.busy_texts if json.loads(text) != {"error": message}]
    assert_that(wrong, empty(), "503 bodies that are not Ollama's")


@then("the others were answered")
def step_others(context: Context) -> None:
    """Every request that was not refused got its 200."""
    statuses = context.burst.statuses
    assert_that(sorted(set(statuses) - {503}), equal_to([200]), f"statuses: {sorted(statuses)}")


@then("a request right after the burst is answered")
def step_recovered(context: Context) -> None:
    """The next request is served, not refused: the queue emptied with the burst."""
    body = ollama.generate_body(context.settings.model, REFERENCE_PROMPT, stream=False, num_predict=8)
    after = burst(context.queued.ollama_url, body, 1, 120.0)
    assert_that(after.statuses, equal_to([200]), "the request after the burst")
    figures.record(context.settings.results_dir, "load", "burst past OLLAMA_MAX_QUEUE", {
        "burst": len(context.burst.statuses), "max queue": context.max_queue, "503": context.burst.statuses.count(503),
        "200": context.burst.statuses.count(200), "next request": 200})
