"""Steps that start and end the conditions behind the stack's alerts: a healthy stack, a runner killed, a model no
engine can load, slow first tokens, a saturated queue, memory over a threshold, a target that answers garbage.

Example:
    When the runner serving the model is killed
    Then the "EngineDown" alert goes pending, then firing, within its bounds
"""

from __future__ import annotations

import time
from collections.abc import Callable

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, not_none

from support import ollama, runners
from support.http import Exchange
from support.monitoring import traffic
from support.monitoring.alerts import alerts_seen_while, quiet_period_s, start_condition, wait_inactive
from support.monitoring.config import alert_names
from support.monitoring.crossing import first_token_s, first_token_threshold, long_prompt, memory_threshold, send_prompt, short_prompt
from support.monitoring.fixture import current
from support.monitoring.load import KeepSending
from support.monitoring.thresholds import set_threshold
from support.polling import wait_until
from support.report.allure import attach_json, attach_text

HEALTHY_KINDS = ("chat", "generate", "openai chat")
CALIBRATION_ROUNDS = 2


def _rules(context: Context) -> list[str]:
    config = current(context).config
    assert config is not None, "the alerts are followed only in the monitoring the suite started"
    return alert_names(config.prometheus_yml.parent)


@when("clients chat with the model until any alert they set off would have fired")
def step_healthy_traffic(context: Context) -> None:
    """Valid requests of each kind in turn, watching every alert the while."""
    monitoring = current(context)
    names = _rules(context)
    context.condition_started_at = time.time()
    kinds = iter(HEALTHY_KINDS * 1000)

    def one_request() -> None:
        exchange = traffic.send(next(kinds), context.settings.model, context.ollama, context.openai)
        assert_that(exchange.status, equal_to(200), exchange.describe())

    seconds = quiet_period_s(monitoring, names)
    context.alerts_seen = alerts_seen_while(monitoring, seconds, one_request)
    attach_text("alerts watched", f"{len(names)} alerts watched for {seconds:g} s: {', '.join(names)}")


@then("none of the stack's alerts fired")
def step_no_alert(context: Context) -> None:
    """No alert was firing at any poll; one that went pending and ended before its for: is in the report."""
    attach_json("alerts seen pending or firing", context.alerts_seen)
    firing = sorted(name for name, state in context.alerts_seen.items() if state == "firing")
    assert_that(firing, empty(), f"alerts fired on a healthy stack (all seen: {context.alerts_seen})")


@then("the webhook received no notification meanwhile")
def step_no_notification(context: Context) -> None:
    """Nothing reached the receiver since the traffic began."""
    webhook = current(context).webhook
    assert webhook is not None
    received = [n.body for n in webhook.notifications if n.received_at >= context.condition_started_at]
    assert_that(received, empty(), "notifications sent about a healthy stack")


@when("the runner serving the model is killed")
def step_kill_runner(context: Context) -> None:
    """SIGKILL the model's runner process, as a crash or the out-of-memory killer would end it."""
    found = [r for r in context.stack.runners() if ollama.listed_name(r.model) == ollama.listed_name(context.settings.model)]
    assert_that(len(found), greater_than(0), f"no runner serves {context.settings.model}: {context.stack.runners()}")
    context.condition_started_at = start_condition(current(context), "EngineDown")
    runners.kill(found[0].pid)


@when("the model answers a request again")
def step_model_answers(context: Context) -> None:
    """One chat that loads the model again; the engine is up from the end of the load the answer reports."""
    sent_at = time.time()
    exchange = traffic.send("chat", context.settings.model, context.ollama, context.openai)
    body = ollama.ok_json(exchange)
    context.condition_ended_at = sent_at + int(body.get("load_duration", 0)) / 1e9


@when("a client asks that model for an answer {times:d} times, {intervals:d} scrape intervals apart")
def step_ask_unloadable_repeatedly(context: Context, times: int, intervals: int) -> None:
    """Each request makes the gateway try the load again; the model under test answers afterwards, so the engine is up."""
    monitoring = current(context)
    context.add_cleanup(traffic.send, "chat", context.settings.model, context.ollama, context.openai)
    start_condition(monitoring, "ModelLoadFailing")
    statuses = []
    for attempt in range(times):
        if attempt:
            time.sleep(intervals * monitoring.scrape_interval_s)
        statuses.append(context.ollama.generate(ollama.generate_body(context.unloadable_model, "Hi", stream=False, num_predict=1)).status)
        if attempt == 0:
            # The failure counter rises as the first failed load is answered: no earlier can the rule hold.
            context.condition_started_at = time.time()
    context.condition_ended_at = time.time()
    assert_that(min(statuses), greater_than(499), f"the unloadable model answered {statuses}")


@given('the "SlowTimeToFirstToken" threshold lies under a long prompt\'s first-token time')
def step_ttft_threshold(context: Context) -> None:
    """Measure both kinds of prompt, render the rule with a bucket bound under the long ones and reload Prometheus."""
    model = context.settings.model
    send_prompt(context.ollama, model, short_prompt())
    short = [first_token_s(context.ollama, model, short_prompt()) for _ in range(CALIBRATION_ROUNDS)]
    long = [first_token_s(context.ollama, model, long_prompt()) for _ in range(CALIBRATION_ROUNDS)]
    chosen = first_token_threshold(short, long)
    attach_text("first-token threshold", chosen.describe())
    assert_that(chosen.threshold_s, not_none(), f"no histogram bound lies under the long prompts: {chosen.describe()}")
    assert chosen.threshold_s is not None
    _render(context, "SlowTimeToFirstToken", chosen.threshold_s)
    # The measuring prompts crossed the new threshold too: the scenario starts once the rule's window has let them go.
    monitoring = current(context)
    state = wait_inactive(monitoring, "SlowTimeToFirstToken", monitoring.timing("SlowTimeToFirstToken"), forget=True)
    assert_that(state, equal_to("inactive"), "SlowTimeToFirstToken stayed active after the measuring prompts left its window")


def _render(context: Context, alertname: str, threshold: float) -> None:
    query, saved = set_threshold(current(context), alertname, threshold)
    context.add_cleanup(saved.restore)
    attach_text(f"{alertname} as rendered for this scenario", query)


@when("clients keep sending long prompts")
def step_long_prompts(context: Context) -> None:
    """One client sending fresh long prompts back to back, each for a single token."""
    context.condition_started_at = start_condition(current(context), "SlowTimeToFirstToken")
    _keep_sending(context, 1, lambda: send_prompt(context.ollama, context.settings.model, long_prompt(), stream=False))


def _keep_sending(context: Context, clients: int, send: Callable[[], Exchange]) -> None:
    context.clients = KeepSending(send, clients).start()
    context.add_cleanup(context.clients.stop)


@when("{clients:d} clients keep asking for long answers")
def step_saturate(context: Context, clients: int) -> None:
    """The model loaded first, then clients asking for 8 tokens back to back, more of them than slots."""
    exchange = traffic.send("generate", context.settings.model, context.ollama, context.openai, num_predict=1)
    assert_that(exchange.status, equal_to(200), exchange.describe())
    context.condition_started_at = start_condition(current(context), "QueueSaturated")
    _keep_sending(context, clients, lambda: traffic.send("generate", context.settings.model, context.ollama, context.openai, num_predict=8))


@when("the clients stop")
def step_clients_stop(context: Context) -> None:
    """The condition ends as they stop sending; each finishes its request. Every request was served, none refused."""
    context.condition_ended_at = context.clients.stop()
    attach_text("clients' answers", context.clients.describe())
    assert_that(set(context.clients.statuses), equal_to({200}), context.clients.describe())


@when('the "HighMemory" threshold is set between the gateway\'s memory alone and with its runners\'')
def step_memory_threshold(context: Context) -> None:
    """Read both from Prometheus, render the rule halfway into the runners' share and reload Prometheus."""
    monitoring = current(context)
    measured = memory_threshold(monitoring.prometheus, monitoring.gateway_job)
    attach_text("memory threshold", measured.describe())
    assert_that(measured.runners_bytes, greater_than(0), f"no runner memory in Prometheus: {measured.describe()}")
    context.condition_started_at = start_condition(monitoring, "HighMemory")
    _render(context, "HighMemory", measured.threshold_bytes)


@when("the model is unloaded")
def step_unload(context: Context) -> None:
    """keep_alive 0, as Ollama's clients unload a model; the condition ends once its runner has exited."""
    exchange = context.ollama.generate({"model": context.settings.model, "keep_alive": 0})
    assert_that(exchange.status, equal_to(200), exchange.describe())
    model = ollama.listed_name(context.settings.model)
    gone = wait_until(lambda: all(ollama.listed_name(r.model) != model for r in context.stack.runners()), 30.0, 0.1)
    assert_that(gone, equal_to(True), f"a runner still serves {model} 30 s after keep_alive 0")
    context.condition_ended_at = time.time()


@when("the webhook receiver's metrics endpoint answers garbage")
def step_scrape_garbage(context: Context) -> None:
    """Prometheus's next scrape of the receiver cannot be parsed: its target goes down."""
    monitoring = current(context)
    assert monitoring.webhook is not None
    context.condition_started_at = start_condition(monitoring, "ScrapeFailing")
    monitoring.webhook.scrape_answers_garbage = True
    context.add_cleanup(setattr, monitoring.webhook, "scrape_answers_garbage", False)


@when("the endpoint answers metrics again")
def step_scrape_fixed(context: Context) -> None:
    """The receiver serves a valid exposition again."""
    webhook = current(context).webhook
    assert webhook is not None
    webhook.scrape_answers_garbage = False
    context.condition_ended_at = time.time()

