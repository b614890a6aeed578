"""Steps for Aider on HumanEval: a seeded sample (or the whole set) through a gateway per engine, then its figures.

Example:
    When Aider attempts the profile's sample of HumanEval with the capable model through each engine
    Then the engines' pass rates agree within sampling error
"""

from __future__ import annotations

from pathlib import Path

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than_or_equal_to

from support.aider.humaneval import Problem
from support.aider.humaneval_bench import CaseSettings, TryRecord
from support.aider.humaneval_run import (
    CSV_NAME,
    DEFAULT_PROFILE,
    ENGINES,
    MARKDOWN_NAME,
    PLOT_NAME,
    SUMMARY_NAME,
    BenchProfile,
    BenchResult,
    load_bench_profile,
    problems_per_model,
    run_bench,
)
from support.aider.runner import AiderRun
from support.report.allure import attach_file, attach_texts

FLOOR_MODEL = "smollm2:135m"


def _attach_case(problem: Problem, engine: str, records: list[TryRecord], runs: list[AiderRun]) -> None:
    verdict = f"passed on try {records[-1].attempt}" if records[-1].passed else "failed"
    for record, run in zip(records, runs, strict=True):
        attach_texts(f"{problem.task_id} on {engine}, try {record.attempt}: {verdict}",
                     {**run.attachments(), "hidden check's output": record.test_output})


def _profile(context: Context) -> BenchProfile:
    return load_bench_profile(Path(context.config.userdata.get("aider_bench_profile", str(DEFAULT_PROFILE))))


def _run(context: Context, size: int | None, models: list[str], folder: str) -> None:
    """Run (or, when the CSV already holds every case, only re-score) and attach the report files."""
    profile = _profile(context)
    case = CaseSettings(case_timeout_s=profile.case_timeout_s, test_timeout_s=profile.test_timeout_s)
    result = run_bench(context.settings.results_dir / folder, problems_per_model(models, size, profile), case, profile.parity_alpha,
                       on_case=_attach_case)
    for name in (MARKDOWN_NAME, PLOT_NAME, SUMMARY_NAME, CSV_NAME):
        attach_file(result.out / name)
    context.aider_bench = result
    context.aider_bench_profile = profile


@when("Aider attempts the profile's sample of HumanEval with the capable model through each engine")
def step_sample(context: Context) -> None:
    """The seeded sample; the first scenario runs it, the others find every case in the CSV and only re-score."""
    _run(context, _profile(context).sample_size, [context.needs.capable_model], "aider-bench")


@when("Aider attempts all of HumanEval with the capable model, and the profile's floor sample with SmolLM2, through each engine")
def step_full(context: Context) -> None:
    """All 164 problems with the capable model; SmolLM2, the floor, on the profile's floor sample (all 164 where it sets none)."""
    _run(context, None, [context.needs.capable_model, FLOOR_MODEL], "aider-bench-full")


def _result(context: Context) -> BenchResult:
    result: BenchResult = context.aider_bench
    return result


@then("through each engine the capable model passes at least the profile's share of the cases by try 2")
def step_min_share(context: Context) -> None:
    """pass_rate_2 of the capable model against the profile's minimum, engine by engine."""
    minimum = 100 * context.aider_bench_profile.min_pass_share
    for engine in ENGINES:
        summary = _result(context).summary(engine, context.needs.capable_model)
        assert_that(summary.pass_rate_2, greater_than_or_equal_to(minimum),
                    f"{context.needs.capable_model} through {engine}: pass_rate_2 over {summary.cases} cases "
                    f"(pass_rate_1 {summary.pass_rate_1}); see {MARKDOWN_NAME}")


@then("the engines' pass rates agree within sampling error for every model")
def step_parity(context: Context) -> None:
    """McNemar's exact test on the paired cases, and each rate inside the other engine's Wilson interval."""
    for verdict in _result(context).parities:
        assert_that(verdict.problems, empty(), f"{verdict.model}: {verdict.first} passed only {verdict.only_first}, "
                                               f"{verdict.second} passed only {verdict.only_second}; see {MARKDOWN_NAME}")


@then("every response followed the whole edit format")
def step_well_formed(context: Context) -> None:
    """No reply rejected by Aider as malformed, on any engine."""
    for summary in _result(context).summaries:
        assert_that(summary.percent_cases_well_formed, equal_to(100.0),
                    f"{summary.model} through {summary.engine}: {summary.malformed_responses} malformed responses")


@then("no case ran out of time waiting for the stack")
def step_no_stack_timeout(context: Context) -> None:
    """No Aider run hit the case's bound; a check that timed out ran the model's own code and is only counted."""
    stopped = [f"{r.task} on {r.engine}, try {r.attempt}" for r in _result(context).records if r.case_timed_out]
    assert_that(stopped, empty(), f"Aider runs stopped at {context.aider_bench_profile.case_timeout_s:.0f} s")
