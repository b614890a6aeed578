"""The report's plumbing: one Allure formatter, labels and links, the run's duration, selected scenarios only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import allure
import allure_commons
import pytest
from allure_behave.listener import AllureListener
from allure_behave.utils import TEST_PLAN_SKIP_REASON
from allure_commons.model2 import Label
from allure_commons.model2 import TestResult as AllureTestResult
from behave.configuration import Configuration
from behave.model import Scenario
from behave.parser import parse_feature

from support.report.allure import ALLURE_FORMATTER, AllureSetupError, allure_results_dir, hide_unselected_scenarios
from support.report.duration import start_summary_clock
from support.report.labels import AREAS, DOC_LINKS, area_of, doc_links, enable_dynamic_labels, rule_of, severity_of

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
@ollama @minor
Feature: Chatting with a model

  Scenario: Outside any rule
    When a client chats

  @blocker
  Rule: Earlier messages reach the model

    Scenario: Under a rule
      When a client chats

    @trivial
    Scenario Outline: <history> is part of the prompt
      When a client chats with <history>

      Examples:
        | history |
        | a system message |
"""


def scenarios(filename: str = "features/ollama_api/chat.feature") -> dict[str, Scenario]:
    feature = parse_feature(FEATURE, filename=filename)
    return {scenario.name: scenario for scenario in feature.walk_scenarios()}


def test_the_allure_results_dir_is_the_output_paired_with_the_allure_formatter() -> None:
    assert allure_results_dir(["plain", "allure"], [None, "out/allure"]) == Path("out/allure")
    assert allure_results_dir([ALLURE_FORMATTER], ["results"]) == Path("results")
    assert allure_results_dir(["plain", "pretty"], [None]) is None
    assert allure_results_dir([], [None]) is None


def test_two_allure_formatters_are_refused_before_they_break_every_scenario() -> None:
    with pytest.raises(AllureSetupError, match="2 Allure formatters \\(allure-results, stdout\\)"):
        allure_results_dir(["allure", ALLURE_FORMATTER], ["allure-results"])


def test_the_area_is_the_folder_under_features() -> None:
    assert area_of("features/ollama_api/chat.feature") == "Ollama API"
    assert area_of("/abs/features/openai_api/models.feature") == "OpenAI API"
    assert area_of("features/new_area/x.feature") == "New area"


def test_every_area_folder_has_a_name_and_every_documentation_link_a_feature() -> None:
    for folder in (ROOT / "features").iterdir():
        if folder.is_dir():
            assert folder.name in AREAS, f"features/{folder.name}/ has no area name in support/report/labels.py"
    for key, links in DOC_LINKS.items():
        assert (ROOT / "features" / key).is_file(), f"DOC_LINKS names {key}, which is not a feature file"
        assert all(link.url.startswith("https://") for link in links)
    assert doc_links("features/ollama_api/chat.feature")[0].url.endswith("#generate-a-chat-completion")
    assert doc_links("features/ollama_api/unknown.feature") == ()


def test_the_story_is_the_rule_and_the_innermost_severity_tag_wins() -> None:
    found = scenarios()
    row = next(name for name in found if name.startswith("a system message"))
    assert rule_of(found["Outside any rule"]) is None
    rules = {rule_of(found["Under a rule"]), rule_of(found[row])}
    assert [getattr(rule, "name", None) for rule in rules] == ["Earlier messages reach the model"]
    assert severity_of(found["Outside any rule"]) == "minor"
    assert severity_of(found["Under a rule"]) == "blocker"
    assert severity_of(found[row]) == "trivial"


@pytest.fixture
def listener() -> Iterator[AllureListener]:
    """allure-behave's listener, registered as its formatter registers it, with one open test."""
    config = Configuration(command_args=[], load_config=False)
    listener = AllureListener(config)
    allure_commons.plugin_manager.register(listener)
    listener.logger.schedule_test("test-uuid", AllureTestResult(uuid="test-uuid", labels=[Label(name="severity", value="normal")]))
    try:
        yield listener
    finally:
        allure_commons.plugin_manager.unregister(listener)


def labels(listener: AllureListener) -> list[tuple[str, str]]:
    return [(label.name, label.value) for label in listener.logger.get_test("test-uuid").labels]


def test_allure_behave_alone_drops_dynamic_labels(listener: AllureListener) -> None:
    # If a later allure-behave implements the hook itself, the bridge would add every label twice.
    allure.dynamic.epic("Ollama API")
    assert labels(listener) == [("severity", "normal")]


def test_dynamic_labels_reach_the_open_test_and_a_severity_replaces_the_default(listener: AllureListener) -> None:
    disable = enable_dynamic_labels()
    try:
        allure.dynamic.epic("Ollama API")
        allure.dynamic.story("Earlier messages reach the model")
        allure.dynamic.severity("critical")
    finally:
        disable()
    assert labels(listener) == [("epic", "Ollama API"), ("story", "Earlier messages reach the model"), ("severity", "critical")]
    allure.dynamic.epic("after disabling")
    assert ("epic", "after disabling") not in labels(listener)


def test_the_closing_summary_reports_the_wall_clock_time_of_the_run() -> None:
    config = Configuration(command_args=[], load_config=False)
    stop = start_summary_clock(config.reporters)
    time.sleep(0.05)
    stop()
    [summary] = config.reporters
    assert summary.duration >= 0.05


def test_scenarios_left_out_by_a_line_selection_are_hidden_and_skipped_ones_keep_their_reason() -> None:
    feature = parse_feature(FEATURE, filename="features/ollama_api/chat.feature")
    left_out, needs_unmet, selected = feature.walk_scenarios()[:3]
    left_out.mark_skipped()
    needs_unmet.skip(reason="needs tools")
    hide_unselected_scenarios(feature)
    assert left_out.skip_reason == TEST_PLAN_SKIP_REASON
    assert needs_unmet.skip_reason == "needs tools"
    assert selected.skip_reason is None
