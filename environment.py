"""behave hooks: start or attach to the stack, skip scenarios whose needs are unmet, report.

Context attributes set here, for the whole run:
``settings`` (support.settings.Settings), ``stack`` (support.stack.Stack), ``ollama``
(support.ollama.OllamaClient), ``openai`` (support.openai_api.OpenAIClient), ``needs``
(support.needs.TargetNeeds). Steps keep per-scenario state such as ``response``.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from behave import fixture, use_fixture
from behave.model import Feature, Scenario
from behave.runner import Context

from support.http import HttpClient
from support.monitoring.fixture import TAG as MONITORING_TAG
from support.monitoring.fixture import monitoring_fixture
from support.needs import TargetNeeds
from support.ollama import OllamaClient
from support.openai_api import OpenAIClient
from support.reporting import (
    allure_results_dirs,
    attach_exchange,
    record_skip_reason,
    report_rule_scenarios,
    write_categories,
    write_environment,
)
from support.settings import settings_from_userdata
from support.stack import Stack, stack_for

REPO_ROOT = Path(__file__).resolve().parent


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM from a CI runner or `timeout` takes the same path as Ctrl-C, so cleanups still run.
    raise KeyboardInterrupt(f"signal {signum}")


@fixture(name="fixture.stack")
def stack_fixture(context: Context) -> Iterator[Stack]:
    """Start (or attach to) the stack for the whole run and stop it afterwards."""
    stack = stack_for(context.settings, REPO_ROOT)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def before_all(context: Context) -> None:
    """Read the settings, bring up the stack, and describe it to the report."""
    signal.signal(signal.SIGTERM, _interrupt)
    context.settings = settings_from_userdata(context.config.userdata, REPO_ROOT)
    context.stack = use_fixture(stack_fixture, context)
    ollama_http = HttpClient(context.stack.ollama_url, observer=attach_exchange)
    openai_http = HttpClient(context.stack.openai_url, observer=attach_exchange)
    # Probes run outside any step, so they are kept out of the report.
    probe_http = HttpClient(context.stack.ollama_url)
    for http in (ollama_http, openai_http, probe_http):
        context.add_cleanup(http.close)
    context.ollama = OllamaClient(ollama_http)
    context.openai = OpenAIClient(openai_http)
    context.needs = TargetNeeds(context.settings, OllamaClient(probe_http))
    outputs = [opener.name for opener in context.config.outputs]
    for results_dir in allure_results_dirs(context.config.format or [], outputs):
        write_environment(results_dir, context.stack.describe())
        write_categories(results_dir)


def before_feature(context: Context, feature: Feature) -> None:
    """Let the Allure report see scenarios grouped under rules."""
    report_rule_scenarios(feature)


def before_tag(context: Context, tag: str) -> None:
    """Start what a feature's @fixture.* tag names; it stops when the feature ends."""
    if tag == MONITORING_TAG:
        use_fixture(monitoring_fixture, context)


def before_scenario(context: Context, scenario: Scenario) -> None:
    """Skip a scenario whose @needs.* the target does not meet, saying why in the report."""
    reason = context.needs.skip_reason(scenario.effective_tags)
    if reason is None:
        return
    scenario.skip(reason=reason)
    record_skip_reason(reason)
