"""Steps for two models on a gateway of the scenario's own: a runner that stops answering while the other model is
asked, and two first requests at once with room for one model.

Example:
    Given a gateway of its own keeps two models loaded: the model under test and its twin
    And the twin's runner has stopped answering, once the model under test's answer time was measured
    When a client asks the twin once while another asks the model under test again and again
    Then the twin answered from a new runner within the profile's replacement time
"""

from __future__ import annotations

from dataclasses import replace

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than_or_equal_to, is_not, less_than, less_than_or_equal_to

from stack.gateway.store import ModelStore
from support.reliability import two_models
from support.reliability.gateways import scratch_dir, side_gateway
from support.reliability.profile import profile_from_userdata
from support.report import reliability as figures
from support.report.allure import attach_exchange, attach_text

FIRST_ANSWER_S = 300.0
"""Room for a first answer that waits for its model's load, and maybe for another model's."""


def _twin_gateway(context: Context, max_loaded: int) -> None:
    """A gateway on a scratch store holding the model under test and its twin, with the profile's health-check time."""
    profile = profile_from_userdata(context.config.userdata)
    scratch = scratch_dir("two-models-", context.add_cleanup)
    settings = replace(context.settings, models_dir=str(scratch / "models"))
    env = two_models.gateway_env(profile("hung_runner", "ping_timeout_s"), max_loaded)
    gateway = side_gateway(settings, "two-models-gateway", context.settings.engine, env)
    gateway.start()
    context.add_cleanup(gateway.stop)
    record = ModelStore(scratch / "models").find(context.settings.model)
    assert record is not None, f"{context.settings.model} is not in the new gateway's store"
    context.twin, made = two_models.add_twin(gateway.ollama_url, context.settings.model, record.gguf_path, scratch, attach_exchange)
    for exchange in made:
        assert_that(exchange.status, less_than(300), exchange.describe())
    context.two_models = gateway


@given("a gateway of its own keeps two models loaded: the model under test and its twin")
def step_two_loaded(context: Context) -> None:
    """OLLAMA_MAX_LOADED_MODELS=2; each model answers once, so both runners are up."""
    _twin_gateway(context, max_loaded=2)
    for model in (context.settings.model, context.twin):
        exchange = two_models.ask(context.two_models.ollama_url, model, FIRST_ANSWER_S)
        attach_exchange(exchange)
        assert_that(exchange.status, equal_to(200), exchange.describe())


@given("a gateway of its own keeps one model loaded at a time and holds the model under test and its twin")
def step_room_for_one(context: Context) -> None:
    """OLLAMA_MAX_LOADED_MODELS=1; neither model is loaded yet."""
    _twin_gateway(context, max_loaded=1)


@given("the twin's runner has stopped answering, once the model under test's answer time was measured")
def step_twin_silent(context: Context) -> None:
    """The model under test's median answer time and runner are noted; then the twin's runner gets the hang knob's signal."""
    context.quiet_s = two_models.quiet_seconds(context.two_models.ollama_url, context.settings.model, FIRST_ANSWER_S)
    pid = context.two_models.gateway_pid
    hung, other = two_models.runner_of(pid, context.twin), two_models.runner_of(pid, context.settings.model)
    assert hung is not None and other is not None, f"runners: {two_models.runners_of(pid)}"
    with allure.step(f"runner {hung.pid} ({hung.model}) stops answering"):
        two_models.stop_answering(hung)
    context.hung_runner, context.other_runner = hung, other


@when("a client asks the twin once while another asks the model under test again and again")
def step_ask_through_outage(context: Context) -> None:
    """The twin's request waits for the health check and a new load; the other client asks back to back meanwhile."""
    limit = profile_from_userdata(context.config.userdata)("hung_runner", "replaced_within_s")
    context.outage = two_models.ask_through_outage(context.two_models.ollama_url, context.twin, context.settings.model, limit)
    attach_text("the requests, in seconds from the start", context.outage.summary())


@then("the twin answered from a new runner within the profile's replacement time")
def step_twin_replaced(context: Context) -> None:
    """A 200 within the bound, and the silent runner gone for another."""
    outage, limit = context.outage, profile_from_userdata(context.config.userdata)("hung_runner", "replaced_within_s")
    assert outage.hung is not None, outage.summary()
    assert_that(outage.hung.exchange.status, equal_to(200), outage.hung.exchange.describe())
    assert_that(outage.hung.seconds, less_than(limit), outage.summary())
    now = two_models.runner_of(context.two_models.gateway_pid, context.twin)
    assert now is not None, f"no runner serves {context.twin}"
    assert_that(now.pid, is_not(equal_to(context.hung_runner.pid)), "the silent runner still serves the twin")
    figures.record(context.settings.results_dir, "faults", "hung runner replaced", {
        "replaced after s": round(outage.hung.seconds, 2),
        "other answers meanwhile": len(outage.others_meanwhile()),
        "other answer before s": round(context.quiet_s, 2),
        "slowest other answer s": round(max((answer.seconds for answer in outage.others), default=0.0), 2)})


@then("the model under test answered every request within the profile's bound, from the runner it had before")
def step_others_kept_answering(context: Context) -> None:
    """Every answer 200 and in time, the profile's count of them during the outage (or as many as fit), the same runner."""
    profile = profile_from_userdata(context.config.userdata)
    outage = context.outage
    bound = context.quiet_s * profile("hung_runner", "others_ratio") + profile("hung_runner", "others_slack_s")
    summary = f"each within {bound:.2f} s ({context.quiet_s:.2f} s before the hang):\n{outage.summary()}"
    assert_that(outage.problems, empty(), summary)
    assert_that(outage.slow_or_failed_others(bound), empty(), summary)
    expected = outage.others_that_fit(bound, profile("hung_runner", "others_meanwhile"))
    assert_that(len(outage.others_meanwhile()), greater_than_or_equal_to(expected), summary)
    now = two_models.runner_of(context.two_models.gateway_pid, context.settings.model)
    assert_that(now.pid if now else None, equal_to(context.other_runner.pid), "the model under test's runner changed")


@when("a client asks each of the two models at the same moment")
def step_first_requests_at_once(context: Context) -> None:
    """Both first requests at once, the gateway's live runners counted every 10 ms meanwhile."""
    models = [context.settings.model, context.twin]
    context.first_loads = two_models.first_requests_at_once(context.two_models.ollama_url, context.two_models.gateway_pid, models,
                                                            FIRST_ANSWER_S)
    for exchange in context.first_loads.answers:
        attach_exchange(exchange)


@then("both clients get their answers")
def step_both_answered(context: Context) -> None:
    """Two 200s."""
    for exchange in context.first_loads.answers:
        assert_that(exchange.status, equal_to(200), exchange.describe())


@then("the gateway never ran two runners at once")
def step_one_runner_at_a_time(context: Context) -> None:
    """The most live runners seen at one moment, over the whole exchange."""
    loads = context.first_loads
    assert_that(loads.samples, greater_than_or_equal_to(10), "too few samples of the runner count to judge")
    assert_that(loads.peak_runners, less_than_or_equal_to(1), f"{loads.peak_runners} runners alive at once over {loads.samples} samples")
