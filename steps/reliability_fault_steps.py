"""Steps for faults: an upstream engine killed mid-stream, clients hanging up, the gateway killed outright.

Example:
    Given a gateway with the openai engine serves through an upstream gateway
    And a long streamed generation through it is under way
    When the upstream server is killed
    Then the stream ends with an error line within the profile's bound
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, is_not, less_than, less_than_or_equal_to

from support import ollama, runners
from support.background import BackgroundRequest
from support.http import HttpClient
from support.monitoring.alerts import held_by_alertmanager, notification
from support.monitoring.fixture import current
from support.polling import wait_until
from support.reliability.alerts import held_alert
from support.reliability.gateways import scratch_dir, side_gateway
from support.reliability.hostile import resident_bytes
from support.reliability.profile import profile_from_userdata
from support.reliability.prompts import LONG_PROMPT, REFERENCE_PROMPT
from support.reliability.streams import abandon_streams, gateway_metric, held_after
from support.report import reliability as figures
from support.report.allure import attach_exchange, attach_json

IDLE_CPU_S = 0.3
"""CPU a runner may spend in a second and still count as idle (its own housekeeping)."""


@given("a gateway with the openai engine serves through an upstream gateway")
def step_upstream_pair(context: Context) -> None:
    """An upstream gateway (llama.cpp) and, in front of it, a gateway with --engine openai, each on a scratch store."""
    settings = replace(context.settings, models_dir=str(scratch_dir("reliability-store-", context.add_cleanup)))
    context.upstream = side_gateway(settings, "faults-upstream", "llamacpp", {})
    context.upstream.start()
    context.add_cleanup(context.upstream.stop)
    context.front = side_gateway(settings, "faults-front", "openai", {"GATEWAY_UPSTREAM_URL": context.upstream.openai_url})
    context.front.start()
    context.add_cleanup(context.front.stop)


@given("a long streamed generation through it is under way")
def step_long_stream_through_front(context: Context) -> None:
    """A long streamed generation from the front gateway, once its first chunk has come."""
    body = ollama.generate_body(context.settings.model, LONG_PROMPT, stream=True, num_predict=4000)
    context.background = BackgroundRequest(f"{context.front.ollama_url}/api/generate", body)
    assert_that(context.background.wait_for_first_line(120.0), equal_to(True), context.background.outcome.describe())


@when("the upstream server is killed")
def step_kill_upstream(context: Context) -> None:
    """SIGKILL the upstream gateway; its runner follows it."""
    pid = context.upstream.gateway_pid
    with allure.step(f"SIGKILL upstream gateway {pid}"):
        context.killed_at = time.monotonic()
        runners.kill(pid)


@then("the stream ends with an error line within the profile's bound")
def step_error_line_in_time(context: Context) -> None:
    """The stream's last line is an error object, and it came within the bound."""
    bound = profile_from_userdata(context.config.userdata)("faults", "error_line_within_s")
    outcome = context.background.result(bound + 30)
    took = time.monotonic() - context.killed_at
    allure.attach("\n".join(outcome.lines), name=f"stream after {took:.1f} s", attachment_type=allure.attachment_type.TEXT)
    last = json.loads(outcome.lines[-1]) if outcome.lines else {}
    assert_that(sorted(last), equal_to(["error"]), outcome.describe())
    assert_that(took, less_than_or_equal_to(bound), outcome.describe())
    context.error_line_s = took


@then("the gateway reports its engine down")
def step_engine_down(context: Context) -> None:
    """gateway_engine_up for the openai engine is 0."""
    up = gateway_metric(context.front.ollama_url, "gateway_engine_up", {"engine": "openai"})
    assert_that(up, equal_to(0.0), "gateway_engine_up after the upstream died")


@then("once the upstream server is back, the next request succeeds and the engine is reported up")
def step_upstream_back(context: Context) -> None:
    """Restart the upstream on its port; the front gateway answers the next request and reports its engine up."""
    context.upstream.stop()
    context.upstream.start()
    body = ollama.generate_body(context.settings.model, REFERENCE_PROMPT, stream=False, num_predict=4)
    http = HttpClient(context.front.ollama_url, observer=attach_exchange)
    context.add_cleanup(http.close)
    response = ollama.OllamaClient(http).generate(body)
    assert_that(response.status, equal_to(200), response.describe())
    up = gateway_metric(context.front.ollama_url, "gateway_engine_up", {"engine": "openai"})
    assert_that(up, equal_to(1.0), "gateway_engine_up after a generation succeeded again")
    figures.record(context.settings.results_dir, "faults", "upstream killed mid-stream", {
        "error line after s": round(context.error_line_s, 2), "engine_up dropped": True, "served after return": True})


@when('the "{count}" count of clients each start a streamed generation and hang up after its first chunk')
def step_hang_up(context: Context, count: str) -> None:
    """Note the gateway's memory, then let the clients stream and hang up, several at a time."""
    profile = profile_from_userdata(context.config.userdata)
    clients, at_once = profile("disconnects", count, "clients"), profile("disconnects", count, "at_once")
    context.rss_before = resident_bytes(context.stack.gateway_pid)
    body = ollama.generate_body(context.settings.model, LONG_PROMPT, stream=True, num_predict=400)
    with allure.step(f"{clients} clients, {at_once} at a time"):
        context.abandoned = abandon_streams(f"{context.stack.ollama_url}/api/generate", body, clients, at_once, 600.0)


@then("every client got a first chunk before hanging up")
def step_all_got_chunks(context: Context) -> None:
    """No client was refused or failed before its first chunk."""
    assert_that(context.abandoned.failures, empty(), f"{context.abandoned.got_first_chunk} of {context.abandoned.clients} got a chunk")


@then("within the profile's time the gateway holds no slot, queued request or runner work for them")
def step_nothing_held(context: Context) -> None:
    """In-flight and queued gauges back to 0, and the runner idle, within the settle time."""
    settle = profile_from_userdata(context.config.userdata)("disconnects", "settle_s")
    held = held_after(context.stack.ollama_url, settle)
    assert_that(held, equal_to({}), f"still held {settle} s after the last client left")
    idle = wait_until(lambda: not _busy_runners(context), settle, 0.0)
    assert_that(idle, equal_to(True), f"runners still generating {settle} s after their clients left: {_busy_runners(context)}")


def _busy_runners(context: Context) -> list[runners.RunnerProcess]:
    """Runners that spent more than an idle runner's CPU over the last second."""
    before = {runner: runners.cpu_seconds(runner.pid) for runner in context.stack.runners()}
    time.sleep(1.0)
    return [runner for runner, used in before.items() if runners.cpu_seconds(runner.pid) - used > IDLE_CPU_S]


@then("the gateway's memory grew less than the profile's bound for hung-up clients")
def step_memory_after_hang_ups(context: Context) -> None:
    """Resident memory after the clients left, less before, under the bound."""
    bound = profile_from_userdata(context.config.userdata)("disconnects", "rss_growth_bytes")
    growth = resident_bytes(context.stack.gateway_pid) - context.rss_before
    figures.record(context.settings.results_dir, "faults", f"{context.abandoned.clients} clients hung up mid-stream", {
        "clients": context.abandoned.clients, "got a chunk": context.abandoned.got_first_chunk,
        "gateway RSS growth MiB": round(growth / 2**20, 1), "slots left": 0})
    assert_that(growth, less_than(bound), f"the gateway grew by {growth / 2**20:.1f} MiB")


@given("the installed models are noted")
def step_note_models(context: Context) -> None:
    """The names /api/tags lists now."""
    response = context.ollama.tags()
    assert_that(response.status, equal_to(200), response.describe())
    context.noted_models = sorted(str(model["name"]) for model in response.json()["models"])


@when("the gateway is killed with SIGKILL and started again")
def step_kill_gateway(context: Context) -> None:
    """SIGKILL the stack's gateway mid-generation (its process, or its container), then start it again on the same port
    and store."""
    pid = context.stack.gateway_pid
    with allure.step(f"SIGKILL gateway {pid}, then start it again"):
        context.stack.kill_service("gateway")
        started = time.monotonic()
        context.stack.start_service("gateway")
        context.restart_s = time.monotonic() - started


@then("the stream was cut without a final chunk")
def step_cut(context: Context) -> None:
    """The client saw chunks, then the connection end, and no done chunk."""
    outcome = context.background.result(30.0)
    done = [line for line in outcome.lines if json.loads(line).get("done")]
    assert_that(done, empty(), outcome.describe())
    assert_that(outcome.error, is_not(equal_to("")), outcome.describe())


@then("the restarted gateway lists the same models, and shows each of them")
def step_same_models(context: Context) -> None:
    """Tags list what was noted, and /api/show answers each."""
    response = context.ollama.tags()
    listed = sorted(str(model["name"]) for model in response.json()["models"])
    assert_that(listed, equal_to(context.noted_models), response.describe())
    unshown = [name for name in listed if context.ollama.show(name).status != 200]
    assert_that(unshown, empty(), "models listed but not shown after the restart")
    figures.record(context.settings.results_dir, "nothing_lost", "gateway SIGKILLed mid-generation", {
        "models before": len(context.noted_models), "models after": len(listed), "restart s": round(context.restart_s, 1)})


@then("the restarted gateway gives the same answer to the reference prompt")
def step_same_answer_after_restart(context: Context) -> None:
    """The answer at temperature 0 is the one noted before the fault."""
    _, answer = context.reference
    response = context.ollama.generate(ollama.generate_body(context.settings.model, REFERENCE_PROMPT, stream=False, num_predict=12))
    assert_that(response.status, equal_to(200), response.describe())
    assert_that(response.json()["response"], equal_to(answer), response.describe())


@when('{server} is restarted while "{alertname}" fires')
def step_restart_monitoring(context: Context, server: str, alertname: str) -> None:
    """Stop the suite's Prometheus or Alertmanager and start it again on the same port, config and data."""
    assert_that(context.embedded_monitoring, is_not(None), "only monitoring the suite started can be restarted")
    context.held_before = held_alert(current(context).facts["prometheus_url"], alertname)
    assert_that(context.held_before, is_not(None), f"Prometheus holds no {alertname} before the restart")
    with allure.step(f"restart {server}"):
        context.monitoring_restarted_at = time.time()
        context.restarted_server = server
        context.embedded_monitoring.restart(server)
        context.monitoring_ready_at = time.time()


@then('within the profile\'s bound "{alertname}" is firing again in the restarted Prometheus and held by Alertmanager')
def step_alert_back(context: Context, alertname: str) -> None:
    """Prometheus' own rule state (not its stored series) shows the alert firing, and Alertmanager holds it."""
    monitoring = current(context)
    bound = profile_from_userdata(context.config.userdata)("faults", "alert_back_within_s")
    url = monitoring.facts["prometheus_url"]
    firing = wait_until(lambda: (held_alert(url, alertname) or ("", 0.0))[0] == "firing", bound, 0.2)
    held = held_alert(url, alertname)
    assert_that(firing, equal_to(True), f"{alertname} held as {held} {bound} s after the restart")
    back_after = time.time() - context.monitoring_ready_at
    in_alertmanager = held_by_alertmanager(monitoring, alertname, bound)
    assert_that(len(in_alertmanager), greater_than(0), f"Alertmanager holds no {alertname} {bound} s after the restart")
    assert held is not None and context.held_before is not None
    # Prometheus restores an alert's activeAt moved on by the outage, so an alert with a short for: waits it again.
    figures.record(context.settings.results_dir, "nothing_lost", f"{alertname} across a restart of {context.restarted_server}", {
        "firing again after s": round(back_after, 1), "activeAt moved by s": round(held[1] - context.held_before[1], 1),
        "held by Alertmanager": True, "resolved notifications": 0})


@then('the webhook received no resolved notification for "{alertname}" while the gateway was down')
def step_no_false_resolve(context: Context, alertname: str) -> None:
    """A restart must not make the alert look resolved to whoever is on call."""
    monitoring = current(context)
    resolved = notification(monitoring, alertname, "resolved", context.condition_started_at, 0.0)
    if resolved is not None and monitoring.webhook is not None:
        # Every notification of the scenario, with its arrival against the restart, says which side sent what and when.
        restarted = context.monitoring_restarted_at
        attach_json("webhook notifications since the gateway stopped", [
            {"arrived s after the restart": round(n.received_at - restarted, 2), "body": n.body}
            for n in monitoring.webhook.notifications if n.received_at >= context.condition_started_at])
    assert_that(resolved, equal_to(None), f"{alertname} was reported resolved while the gateway was still down, "
                f"{(resolved.received_at - context.monitoring_restarted_at) if resolved else 0:.1f} s after the restart of "
                f"{context.restarted_server}: {resolved.body.get('alerts') if resolved else ''}")
