"""Steps for resource metrics that can fail: the runners' CPU and memory against an idle baseline and /proc, and the
gateway's own process checked apart.

Example:
    When the runner serving the model idles, then generates, for 6 scrape intervals each
    Then its CPU while generating exceeds its idle CPU by at least 0.2 cores
"""

from __future__ import annotations

import time

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, close_to, equal_to, greater_than, greater_than_or_equal_to

from support import ollama
from support.monitoring import traffic
from support.monitoring.accuracy import process_rss_bytes, read, selector, settle
from support.monitoring.fixture import current
from support.monitoring.resources import cpu_window
from support.report.allure import attach_json

PROC_TOLERANCE_S = 0.1
"""CPU seconds the metric may differ from /proc by: a scrape reads /proc too, between two idle moments, at 1/100 s ticks."""


def _runner(context: Context) -> int:
    model = ollama.listed_name(context.settings.model)
    found = [r.pid for r in context.stack.runners() if ollama.listed_name(r.model) == model]
    assert_that(len(found), greater_than(0), f"no runner serves {model}: {context.stack.runners()}")
    return found[0]


def _generate_for(context: Context, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        exchange = traffic.send("generate", context.settings.model, context.ollama, context.openai, num_predict=32)
        assert_that(exchange.status, equal_to(200), exchange.describe())


@when("the {process} idles, then generates, for {intervals:d} scrape intervals each")
def step_idle_then_busy(context: Context, process: str, intervals: int) -> None:
    """An idle baseline, then generations, each read from Prometheus and /proc once the process is idle again."""
    monitoring = current(context)
    if process == "runner serving the model":
        pid, query = _runner(context), selector("gateway_runner_cpu_seconds_total", {"model": context.settings.model})
    elif process == "gateway":
        assert context.stack.gateway_pid is not None, "the gateway process is not running"
        pid, query = context.stack.gateway_pid, selector("process_cpu_seconds_total", {})
    else:
        raise KeyError(f"unknown process {process!r}")
    seconds = intervals * monitoring.scrape_interval_s
    context.idle = cpu_window(monitoring, query, pid, lambda: time.sleep(seconds))
    context.busy = cpu_window(monitoring, query, pid, lambda: _generate_for(context, seconds))
    attach_json(f"{process} CPU", {"query": query, "pid": pid, "idle": context.idle.describe(), "generating": context.busy.describe()})


@then("its CPU while generating exceeds its idle CPU by at least {cores:g} cores")
def step_busy_exceeds_idle(context: Context, cores: float) -> None:
    """Cores used while generating against the idle baseline taken in the same scenario."""
    assert_that(context.busy.cores - context.idle.cores, greater_than_or_equal_to(cores),
                f"idle {context.idle.describe()}; generating {context.busy.describe()}")


@then("its CPU seconds rose while it served the generations")
def step_busy_rose(context: Context) -> None:
    """The counter moved while the process served: a counter that stopped would not."""
    assert_that(context.busy.metric_s, greater_than(0.0), f"generating {context.busy.describe()}")


@then("its CPU metric rose by what /proc reports, idle and generating")
def step_cpu_matches_proc(context: Context) -> None:
    """The metric's rise in each window against /proc's, within a few clock ticks."""
    for name, window in (("idle", context.idle), ("generating", context.busy)):
        assert_that(window.metric_s, close_to(window.proc_s, PROC_TOLERANCE_S), f"{name}: {window.describe()}")


@when("Prometheus scrapes the runner serving the model")
def step_scrape_runner(context: Context) -> None:
    """Wait for a scrape, then read the OS's view of the runner process."""
    monitoring = current(context)
    pid = _runner(context)
    settle(monitoring)
    context.rss_bytes = process_rss_bytes(pid)
    context.rss_metric = read(monitoring, selector("gateway_runner_resident_memory_bytes", {"model": context.settings.model})).value


@then("the runner's resident memory metric is within {percent:d}% of the RSS the operating system reports")
def step_runner_rss_agrees(context: Context, percent: int) -> None:
    """gateway_runner_resident_memory_bytes against /proc/<pid>/status VmRSS."""
    attach_json("runner resident memory", {"metric_bytes": context.rss_metric, "os_rss_bytes": context.rss_bytes})
    assert_that(context.rss_metric, close_to(context.rss_bytes, context.rss_bytes * percent / 100),
                f"metric {context.rss_metric:.0f} B, OS {context.rss_bytes} B")
