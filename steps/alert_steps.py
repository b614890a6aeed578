"""Steps for alerts end to end: a condition starts, the alert goes pending and firing, reaches the webhook, resolves.

Example:
    Given the gateway has been stopped
    Then the "GatewayDown" alert goes pending, then firing, within its bounds
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, greater_than, greater_than_or_equal_to, has_item, less_than_or_equal_to, not_none

from support.monitoring import traffic
from support.monitoring.alerts import follow, held_by_alertmanager, notification, start_condition
from support.monitoring.fixture import current
from support.report.allure import attach_json, attach_text
from support.stacks.base import GATEWAY, Stack, is_ready


def _begin(context: Context, alertname: str) -> None:
    """The alert must be inactive before its condition starts, or its firing would prove nothing."""
    context.condition_started_at = start_condition(current(context), alertname)


def _restore(stack: Stack) -> None:
    """Leave the gateway running with the suite's settings, whatever the scenario did to it."""
    if stack.extra_env:
        stack.extra_env = {}
        stack.restart_service(GATEWAY)
    elif not is_ready(stack.ollama_url):
        stack.restart_service(GATEWAY)


@given("the gateway has been stopped")
def step_stop_gateway(context: Context) -> None:
    """Stop the gateway (its process or its container); it is started again at the end of the scenario if a step has not."""
    context.add_cleanup(_restore, context.stack)
    # The gateway refuses new connections as soon as it is told to stop; shutting down may take longer.
    _begin(context, "GatewayDown")
    context.stack.stop_service(GATEWAY)


@when("the gateway is started again")
def step_start_gateway(context: Context) -> None:
    """Start the gateway on the same port and note when it answered."""
    context.stack.start_service(GATEWAY)
    context.condition_ended_at = time.time()


@when("clients send only bad requests for {intervals:d} scrape intervals")
def step_bad_requests(context: Context, intervals: int) -> None:
    """Bad chat requests, four per scrape interval, so every scrape sees the error counter rise."""
    monitoring = current(context)
    _begin(context, "HighErrorRatio")
    pause = monitoring.scrape_interval_s / 4
    for _ in range(intervals * 4):
        exchange = traffic.send("bad chat", context.settings.model, context.ollama, context.openai)
        assert_that(exchange.status, greater_than(399), exchange.describe())
        time.sleep(pause)
    context.condition_ended_at = time.time()


@given("the gateway runs with room for {waiting:d} waiting request and {slots:d} slot")
@given("the gateway runs with room for {waiting:d} waiting requests and {slots:d} slot")
def step_small_queue(context: Context, waiting: int, slots: int) -> None:
    """Restart the gateway with OLLAMA_MAX_QUEUE and OLLAMA_NUM_PARALLEL set; the suite's settings return afterwards."""
    context.add_cleanup(_restore, context.stack)
    context.stack.extra_env = {"OLLAMA_MAX_QUEUE": str(waiting), "OLLAMA_NUM_PARALLEL": str(slots)}
    context.stack.restart_service(GATEWAY)


@when("{clients:d} clients ask for long answers at once")
def step_flood(context: Context, clients: int) -> None:
    """Concurrent 32-token generations; returns once one is refused, while the others still run."""
    _begin(context, "QueueFull")
    pool = ThreadPoolExecutor(max_workers=clients)
    context.add_cleanup(pool.shutdown)
    send = partial(traffic.send, "generate", context.settings.model, context.ollama, context.openai, num_predict=32)
    futures = [pool.submit(send) for _ in range(clients)]
    # A full queue refuses at once; the admitted requests may run for a minute on a busy CPU, and the
    # alert must be followed while its window still holds the refusals.
    deadline = time.monotonic() + context.settings.startup_timeout_s
    while True:
        finished = [f for f in futures if f.done()]
        context.statuses = [f.result().status for f in finished if f.exception() is None]
        if 503 in context.statuses or len(finished) == len(futures) or time.monotonic() > deadline:
            # A full queue refuses at once, so the refusals the rule counts are all behind us.
            context.condition_ended_at = time.time()
            return
        time.sleep(0.05)


@then("at least one of them is refused with {status:d}")
def step_refused(context: Context, status: int) -> None:
    """The queue bound was reached."""
    assert_that(context.statuses, has_item(status))


@then('the "{alertname}" alert goes pending, then firing, within its bounds')
def step_alert_fires(context: Context, alertname: str) -> None:
    """Follow the alert in Prometheus; each stage within the bound the configured intervals give."""
    monitoring = current(context)
    timing = monitoring.timing(alertname)
    path = follow(monitoring, alertname, context.condition_started_at, timing)
    context.alert_path = path
    attach_text(f"{alertname} timing", f"{path.describe()}\nbounds: {timing.describe()}")
    assert_that(path.firing_at, not_none(), f"{path.describe()}; bounds: {timing.describe()}")
    assert path.firing_at is not None and path.pending_at is not None
    # activeAt is never earlier than the sample that made the rule true, and that scrape began after the
    # condition did, or before it while still in flight: a scrape timeout, and on a loaded CPU a scrape interval more
    # (a handler that runs late answers a scrape that began before the condition).
    earliest = path.started_at - timing.scrape_timeout_s - timing.scrape_interval_s
    assert_that(path.pending_at, greater_than_or_equal_to(earliest), f"active before the condition began: {path.describe()}")
    if timing.for_s > 0:
        assert_that(path.pending_at - path.started_at, less_than_or_equal_to(timing.pending_within_s), path.describe())
        assert_that(path.firing_at - path.pending_at, less_than_or_equal_to(timing.firing_within_s), path.describe())
        # Prometheus holds an alert pending for its whole for: before firing it.
        assert_that(path.firing_at - path.pending_at, greater_than(timing.for_s - timing.evaluation_interval_s), path.describe())


@then('the webhook receives the "{alertname}" firing notification through Alertmanager')
def step_alert_notified(context: Context, alertname: str) -> None:
    """Alertmanager holds the alert and the webhook gets a firing notification within group_wait and slack."""
    monitoring = current(context)
    timing = monitoring.timing(alertname)
    held = held_by_alertmanager(monitoring, alertname, timing.notified_within_s)
    attach_json(f"{alertname} in Alertmanager", held)
    assert_that(len(held), greater_than(0), f"Alertmanager holds no {alertname} alert")
    found = notification(monitoring, alertname, "firing", context.condition_started_at, timing.notified_within_s)
    assert_that(found, not_none(), f"no firing {alertname} notification within {timing.notified_within_s:g} s of firing")
    assert found is not None
    attach_json(f"{alertname} firing notification", found.body)
    delay = found.received_at - context.alert_path.firing_at
    assert_that(delay, less_than_or_equal_to(timing.notified_within_s), f"the notification came {delay:.1f} s after firing")


@then('the webhook receives the "{alertname}" resolved notification within its bound')
def step_alert_resolved(context: Context, alertname: str) -> None:
    """A resolved notification arrives within a scrape, an evaluation, group_interval and slack."""
    monitoring = current(context)
    timing = monitoring.timing(alertname)
    found = notification(monitoring, alertname, "resolved", context.condition_ended_at, timing.resolved_within_s)
    assert_that(found, not_none(), f"no resolved {alertname} notification within {timing.resolved_within_s:g} s")
    assert found is not None
    attach_json(f"{alertname} resolved notification", found.body)
    attach_text(f"{alertname} resolve timing", f"resolved notification {found.received_at - context.condition_ended_at:.1f} s after "
                f"the condition ended; bound {timing.resolved_within_s:g} s")
