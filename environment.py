"""behave hooks: start or attach to the stack, skip scenarios whose needs are unmet, report.

Context attributes set here, for the whole run:
``settings`` (support.settings.Settings), ``stack`` (support.stacks.base.Stack), ``ollama``
(support.ollama.OllamaClient), ``openai`` (support.openai_api.OpenAIClient), ``needs``
(support.needs.TargetNeeds). Steps keep per-scenario state such as ``response``.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from behave import fixture, use_fixture
from behave.model import Feature, Scenario, Step
from behave.runner import Context

from support.bench.session import BenchSession
from support.http import HttpClient
from support.models.client import ModelsClient
from support.models.gateway import StoreGateway
from support.models.registry import LocalRegistry, registry_missing
from support.monitoring.fixture import TAG as MONITORING_TAG
from support.monitoring.fixture import monitoring_fixture
from support.needs import PROMISE_STEP, BrokenPromise, TargetNeeds
from support.ollama import OllamaClient
from support.openai_api import OpenAIClient
from support.report.allure import (
    allure_results_dir,
    attach_exchange,
    attach_failure_logs,
    hide_unselected_scenarios,
    record_skip_reason,
    report_rule_scenarios,
    write_categories,
    write_environment,
)
from support.report.duration import start_summary_clock
from support.report.labels import enable_dynamic_labels, label_scenario
from support.settings import settings_from_userdata
from support.stacks import stack_for
from support.stacks.base import Stack

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


@fixture(name="fixture.models.gateway")
def store_gateway_fixture(context: Context) -> Iterator[StoreGateway | None]:
    """A gateway on a store of its own for a feature that writes, deletes and kills: the stack's store stays as it is."""
    if context.settings.target != "local":
        # @needs.local_stack skips the scenarios, saying why.
        yield None
        return
    scratch = Path(tempfile.mkdtemp(prefix="models-feature-"))
    gateway = StoreGateway(REPO_ROOT, scratch / "models", context.settings.results_dir / "store-gateway.log", context.settings.engine)
    context.store_gateway = gateway
    http = HttpClient(gateway.url, observer=attach_exchange)
    context.store_models = ModelsClient(http)
    try:
        gateway.start()
        yield gateway
    finally:
        http.close()
        gateway.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@fixture(name="fixture.models.registry")
def registry_fixture(context: Context) -> Iterator[LocalRegistry | None]:
    """A real registry for the feature, or None where docker-registry is missing (@needs.registry then skips)."""
    context.registry = None
    if registry_missing() is not None:
        yield None
        return
    scratch = Path(tempfile.mkdtemp(prefix="registry-"))
    registry = LocalRegistry(scratch)
    try:
        registry.start()
        context.registry = registry
        yield registry
    finally:
        registry.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@fixture(name="fixture.benchmark")
def benchmark_fixture(context: Context) -> Iterator[BenchSession]:
    """One benchmark session per feature: each plan runs once, and every scenario of the feature checks its summary."""
    context.benchmark = BenchSession(context.settings, REPO_ROOT, context.stack)
    yield context.benchmark


FIXTURES = {
    "fixture.benchmark": benchmark_fixture,
    "fixture.models.gateway": store_gateway_fixture,
    "fixture.models.registry": registry_fixture,
    MONITORING_TAG: monitoring_fixture,
}


def before_tag(context: Context, tag: str) -> None:
    """Start the fixture a feature or scenario names by tag; it stops when that feature or scenario ends."""
    if tag in FIXTURES:
        use_fixture(FIXTURES[tag], context)


def before_all(context: Context) -> None:
    """Read the settings, bring up the stack, and describe it to the report."""
    # Registered first, so it runs last: the closing "Took" line includes the stack's stop.
    context.add_cleanup(start_summary_clock(context.config.reporters))
    signal.signal(signal.SIGTERM, _interrupt)
    # Checked before the stack starts: a second Allure formatter would error every scenario.
    outputs = [opener.name for opener in context.config.outputs]
    results_dir = allure_results_dir(context.config.format or [], outputs)
    context.add_cleanup(enable_dynamic_labels())
    context.settings = settings_from_userdata(context.config.userdata, REPO_ROOT)
    context.stack = use_fixture(stack_fixture, context)
    # A compose stack fills in the URLs it found on its containers.
    context.settings = context.stack.settings
    ollama_http = HttpClient(context.stack.ollama_url, observer=attach_exchange)
    openai_http = HttpClient(context.stack.openai_url, observer=attach_exchange)
    # Probes run outside any step, so they are kept out of the report.
    probe_http = HttpClient(context.stack.ollama_url)
    for http in (ollama_http, openai_http, probe_http):
        context.add_cleanup(http.close)
    context.ollama = OllamaClient(ollama_http)
    context.openai = OpenAIClient(openai_http)
    context.needs = TargetNeeds(context.settings, OllamaClient(probe_http), context.stack)
    if results_dir is not None:
        write_environment(results_dir, context.stack.describe())
        write_categories(results_dir)


def before_feature(context: Context, feature: Feature) -> None:
    """Let the Allure report see scenarios grouped under rules, and only those this run selected."""
    report_rule_scenarios(feature)
    hide_unselected_scenarios(feature)


def before_scenario(context: Context, scenario: Scenario) -> None:
    """Label the scenario for the report; skip it if the target does not meet its @needs.*, saying why.

    On the embedded stack a bundled capability that fails its probe is a regression: the scenario
    gets a first step that fails with the probe's answer, so the report shows it failed, not skipped.
    """
    label_scenario(scenario)
    try:
        reason = context.needs.skip_reason(scenario.effective_tags)
    except BrokenPromise as broken:
        context.broken_promise = str(broken)
        scenario.steps.insert(0, Step(scenario.filename, scenario.line, "Given", "given", PROMISE_STEP))
        return
    if reason is None:
        return
    scenario.skip(reason=reason)
    record_skip_reason(reason)


def after_scenario(context: Context, scenario: Scenario) -> None:
    """A failed scenario carries the end of every service's log: the gateway's, and each container's on docker targets."""
    if scenario.status.has_failed():
        attach_failure_logs(context.stack.recent_logs())
