"""The tags that choose what each command runs: make test, make suite and the long run must stay nested."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from behave.model import Scenario, ScenarioOutline
from behave.parser import parse_file

FEATURES = Path(__file__).resolve().parents[2] / "features"


def scenarios() -> Iterator[tuple[str, set[str]]]:
    """Every scenario the suite can run, outlines expanded, with the tags it inherits."""
    for path in sorted(FEATURES.rglob("*.feature")):
        feature = parse_file(str(path))
        for child in feature.walk_scenarios():
            runs = child.scenarios if isinstance(child, ScenarioOutline) else [child]
            for scenario in runs:
                assert isinstance(scenario, Scenario)
                yield f"{path.relative_to(FEATURES)}: {scenario.name}", set(scenario.effective_tags)


def test_what_outlasts_the_main_job_is_also_left_out_of_make_test() -> None:
    """make test leaves out @slow and @benchmark, make suite leaves out @long: a @long scenario must be @slow too."""
    loose = [name for name, tags in scenarios() if "long" in tags and not tags & {"slow", "benchmark"}]
    assert loose == []


def test_the_check_sees_tags_on_examples_tables() -> None:
    """The diff format's success rate is @long through its Examples table alone."""
    tagged = [name for name, tags in scenarios() if "long" in tags]
    assert any("success rate" in name or "diff" in name for name in tagged), tagged
