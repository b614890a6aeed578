"""A behave run's verdict on a fault, and the table and JSON a catalogue run writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from support.faults.campaign import Campaign, FaultResult, time_limit
from support.faults.catalogue import Fault
from support.faults.run import FAST_TAGS, PINNED_TAGS, BehaveRun, behave_command, outcome_of
from support.faults.table import write_results

FAULT = Fault("errors-a|b", "errors", "the text | changed", "f.py", "a", "b", ("features/a.feature:7",), "errors.yaml")


def _scenario(status: str, name: str = "A request is refused", error: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = {"status": status, "duration": 1.5}
    if error is not None:
        result["error_message"] = error
    step = {"keyword": "Then", "name": "the response status is 404", "result": result}
    return {"type": "scenario", "name": name, "location": "features/a.feature:7", "status": status, "steps": [step]}


def _report(*scenarios: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "A", "location": "features/a.feature:1", "elements": list(scenarios)}]


def test_a_failed_scenario_kills_and_names_the_step_and_what_came_back() -> None:
    message = ["GET /api/x -> 400", "{...}", "Expected: <404>", "     but: was <400>"]
    run = outcome_of(1, _report(_scenario("passed"), _scenario("failed", error=message)), 12.0)
    assert run.outcome == "failed"
    assert run.scenarios == 2
    assert run.first_failure == "features/a.feature:7 A request is refused: Then the response status is 404 (Expected: <404> but: was <400>)"


def test_a_scenario_that_raised_counts_as_a_kill() -> None:
    assert outcome_of(1, _report(_scenario("error", error="KeyError: 'usage'")), 3.0).outcome == "failed"


def test_all_passed_is_a_survivor() -> None:
    assert outcome_of(0, _report(_scenario("passed"), _scenario("skipped")), 3.0) == BehaveRun("passed", 3.0, 1, feature_seconds={"features/a.feature": 3.0})


def test_a_fault_may_take_twice_what_its_features_took_in_the_control_plus_the_start() -> None:
    control = BehaveRun("passed", 100.0, 9, feature_seconds={"features/a.feature": 10.0, "features/b.feature": 80.0})
    assert time_limit(control, FAULT) == 2 * 10.0 + 120


def test_a_run_that_never_got_to_a_scenario_is_an_error_not_a_kill() -> None:
    assert outcome_of(1, _report(_scenario("untested")), 3.0).outcome == "error"
    assert outcome_of(1, None, 3.0).outcome == "error"
    assert outcome_of(0, _report(_scenario("skipped")), 3.0).detail == "no scenario ran"
    assert outcome_of(None, None, 600.0, timed_out=True).detail == "ran past the time limit (600 s)"


def test_the_table_and_json_give_each_fault_and_the_kill_rate(tmp_path: Path) -> None:
    campaign = Campaign("llamacpp", datetime(2026, 1, 2, 3, 4, tzinfo=UTC), ["features/a.feature"], BehaveRun("passed", 60.0, 9))
    campaign.results += [
        FaultResult(FAULT, "killed", BehaveRun("failed", 5.0, 1, "features/a.feature:7 A request")),
        FaultResult(FAULT, "survived", BehaveRun("passed", 50.0, 9)),
        FaultResult(FAULT, "error", BehaveRun("error", 1.0, detail="no scenario ran")),
    ]
    write_results(campaign, tmp_path)
    table = (tmp_path / "table.md").read_text()
    assert "| errors-a\\|b | errors | the text \\| changed | killed | features/a.feature:7 A request | 5 |" in table
    assert "Kill rate: 50% (1 killed / 2 killed or survived); 1 error, counted apart." in table
    assert "Control (no fault, 1 feature file): passed, 9 scenarios in 60 s." in table
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["counts"] == {"killed": 1, "survived": 1, "error": 1}
    assert results["kill_rate"] == 0.5
    assert results["faults"][2]["run"]["detail"] == "no scenario ran"


def test_features_named_by_line_run_their_scenarios_even_when_slow() -> None:
    pinned = behave_command(Path("/copy"), ["features/monitoring/alerting.feature:41", "features/x.feature:7"], "llamacpp")
    assert f"--tags={PINNED_TAGS}" in pinned and "@slow" not in PINNED_TAGS
    mixed = behave_command(Path("/copy"), ["features/monitoring/alerting.feature:41", "features/x.feature"], "llamacpp")
    assert f"--tags={FAST_TAGS}" in mixed
