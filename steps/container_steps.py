"""Steps for the stack's containers: CPU time as docker stats reads it, and docker pause.

Example:
    Given the gateway container has been paused
    When a client asks whether the gateway is running
    Then no answer comes within 3 seconds
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import httpx
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than

from support.monitoring import traffic
from support.report.allure import attach_json
from support.stacks.base import GATEWAY


@given("the gateway has loaded the model")
def step_model_loaded(context: Context) -> None:
    """A one-token answer, so the load is not counted as generating."""
    exchange = traffic.send("generate", context.settings.model, context.ollama, context.openai, num_predict=1)
    assert_that(exchange.status, equal_to(200), exchange.describe())


@when("a client asks the gateway container for a {tokens:d}-token answer")
def step_generate_measured(context: Context, tokens: int) -> None:
    """CPU time of the container before and after one generation, and over as long an idle spell after it."""
    before, started = context.stack.service_usage(GATEWAY), time.monotonic()
    exchange = traffic.send("generate", context.settings.model, context.ollama, context.openai, num_predict=tokens)
    assert_that(exchange.status, equal_to(200), exchange.describe())
    elapsed = time.monotonic() - started
    after = context.stack.service_usage(GATEWAY)
    time.sleep(elapsed)
    idle_end = context.stack.service_usage(GATEWAY)
    context.cpu = {"generating_s": after.cpu_seconds - before.cpu_seconds, "idle_s": idle_end.cpu_seconds - after.cpu_seconds,
                   "spell_s": elapsed, "memory_bytes": after.memory_bytes}


@then("the container used more CPU time generating than in an idle spell as long")
def step_cpu_charged(context: Context) -> None:
    """The cgroup's CPU counter follows the work, not the clock."""
    attach_json("gateway container CPU time", context.cpu)
    assert_that(context.cpu["generating_s"], greater_than(context.cpu["idle_s"]), f"CPU seconds: {context.cpu}")


@given("the gateway container has been paused")
def step_paused(context: Context) -> None:
    """docker pause; resumed at the end of the scenario whatever happens."""
    context.add_cleanup(_resume_quietly, context)
    context.stack.pause_service(GATEWAY)
    context.paused = True


def _resume_quietly(context: Context) -> None:
    if getattr(context, "paused", False):
        context.stack.resume_service(GATEWAY)
        context.paused = False


@when("a client asks whether the gateway is running")
def step_ask_liveness(context: Context) -> None:
    """GET / in a thread of its own, so the next steps can watch it wait."""
    pool = ThreadPoolExecutor(max_workers=1)
    context.add_cleanup(pool.shutdown)
    context.liveness = pool.submit(httpx.get, f"{context.stack.ollama_url}/", timeout=60.0)


@then("no answer comes within {seconds:d} seconds")
def step_no_answer(context: Context, seconds: int) -> None:
    """A frozen container answers nothing (the kernel still accepts the connection for it)."""
    try:
        response = context.liveness.result(timeout=seconds)
    except FutureTimeout:
        return
    raise AssertionError(f"a paused gateway answered GET / with {response.status_code} {response.text!r}")


@then('once the container is resumed the client is told "{text}"')
def step_resumed(context: Context, text: str) -> None:
    """docker unpause; the held request is answered."""
    context.stack.resume_service(GATEWAY)
    context.paused = False
    response = context.liveness.result(timeout=30)
    assert_that((response.status_code, response.text), equal_to((200, text)), "GET / once the gateway was resumed")
