"""HumanEval through Aider, per engine and model, scored with every metric of Aider's benchmark.

A case runs as Aider's benchmark runs one: no git and no repository map, solution.py alone in the chat, the check
hidden, and on a failure a second try that sends the last 50 lines of the check's output. Each try is one CSV row;
a case whose last try is in the CSV is finished and skipped when a run resumes.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from support.aider.benchmark import RETRY_MESSAGE, append_rows
from support.aider.humaneval import SOLUTION_FILE, CheckOutcome, Problem, run_check
from support.aider.runner import MALFORMED, AiderOptions, AiderRun, Endpoint, run_aider
from support.aider.tasks import Task
from support.aider.workspace import Workspace

EXHAUSTED = ("exhausted context window", "has hit a token limit")
"""Aider's words when a reply or a prompt ran out of the model's context window."""


@dataclass
class TryRecord:
    """One try of one case on one engine and model: a row of the CSV."""

    task: str
    engine: str
    model: str
    attempt: int
    passed: bool
    malformed: int
    """Replies Aider rejected as not following the edit format, in this try."""
    syntax_error: bool
    exhausted_context: bool
    test_timed_out: bool
    """The check ran past its bound: the model's code looped or crawled."""
    case_timed_out: bool
    """Aider was stopped at the case's bound: the stack did not answer in time."""
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    test_output: str
    solution: str

    @property
    def key(self) -> tuple[str, str, str]:
        """The case this try belongs to."""
        return (self.task, self.engine, self.model)


CSV_FIELDS = tuple(f.name for f in fields(TryRecord))


def _record_from_row(row: dict[str, str]) -> TryRecord:
    flags = {"passed", "syntax_error", "exhausted_context", "test_timed_out", "case_timed_out"}
    integers = {"attempt", "malformed", "prompt_tokens", "completion_tokens"}
    values: dict[str, object] = {}
    for name in CSV_FIELDS:
        raw = row[name]
        values[name] = raw == "True" if name in flags else int(raw) if name in integers else float(raw) if name == "seconds" else raw
    return TryRecord(**values)  # type: ignore[arg-type]


def read_records(path: Path) -> list[TryRecord]:
    """Every try in a run's CSV; none when the run has not started."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [_record_from_row(row) for row in csv.DictReader(handle)]


def append_records(path: Path, records: Iterable[TryRecord]) -> None:
    """Add one row per try to the run's CSV."""
    append_rows(path, CSV_FIELDS, ({**asdict(record), "seconds": round(record.seconds, 1)} for record in records))


def forget_timed_out_cases(path: Path) -> list[tuple[str, str, str]]:
    """Drop from the run's CSV every try of each case that a try ran out of the case time in, so a rerun does the case
    again (for a run that other work on the machine slowed down); the cases dropped."""
    records = read_records(path)
    dropped = sorted({r.key for r in records if r.case_timed_out})
    if dropped:
        # Written beside it, then put in its place, so an interruption never leaves the finished cases half written.
        fresh = path.with_name(path.name + ".new")
        fresh.unlink(missing_ok=True)
        append_records(fresh, [r for r in records if r.key not in dropped])
        fresh.replace(path)
    return dropped


def finished_cases(records: Sequence[TryRecord], tries: int) -> set[tuple[str, str, str]]:
    """Cases whose last try is recorded: passed, or failed on the final try."""
    return {r.key for r in records if r.passed or r.attempt >= tries}


def _case_task(problem: Problem, folder: Path) -> Task:
    """An Aider task whose repository is solution.py alone; the check stays in memory, out of the chat."""
    (folder / "src").mkdir(parents=True)
    (folder / "src" / SOLUTION_FILE).write_text(problem.stub, encoding="utf-8")
    return Task(name=problem.slug, kind="generation", instruction=problem.instruction, chat_files=(SOLUTION_FILE,), folder=folder)


def _record(problem: Problem, engine: str, model: str, attempt: int, run: AiderRun, outcome: CheckOutcome, solution: str) -> TryRecord:
    chat = [entry for entry in run.access if entry.path in ("/api/chat", "/v1/chat/completions")]
    return TryRecord(
        task=problem.task_id, engine=engine, model=model, attempt=attempt, passed=outcome.passed,
        malformed=run.output.count(MALFORMED), syntax_error=outcome.syntax_error,
        exhausted_context=any(marker in run.output for marker in EXHAUSTED), test_timed_out=outcome.timed_out,
        case_timed_out=run.timed_out, seconds=run.seconds, prompt_tokens=sum(e.prompt_tokens or 0 for e in chat),
        completion_tokens=sum(e.eval_tokens or 0 for e in chat), test_output=outcome.output, solution=solution,
    )


@dataclass(frozen=True)
class CaseSettings:
    """How each case runs: tries, bounds and the edit format (whole, which Aider gives this model by default)."""

    tries: int = 2
    case_timeout_s: float = 300.0
    test_timeout_s: float = 15.0
    edit_format: str = "whole"


def attempt_case(repo_root: Path, problem: Problem, endpoint: Endpoint, engine: str, gateway_log: Path | None,
                 case: CaseSettings) -> tuple[list[TryRecord], list[AiderRun]]:
    """Up to `tries` Aider runs on one problem in a fresh directory, the hidden check after each."""
    folder = Path(tempfile.mkdtemp(prefix=f"aider-bench-{problem.slug}-"))
    try:
        workspace = Workspace(_case_task(problem, folder / "task"), root=folder / "work").create()
        message = problem.instruction
        records: list[TryRecord] = []
        runs: list[AiderRun] = []
        for attempt in range(1, case.tries + 1):
            options = AiderOptions(message=message, files=(SOLUTION_FILE,), edit_format=case.edit_format, auto_commits=False,
                                   stream=False, map_tokens=0, use_git=False, restore_chat_history=attempt > 1,
                                   timeout_s=case.case_timeout_s)
            run = run_aider(repo_root, workspace, endpoint, options, gateway_log)
            solution = workspace.files().get(SOLUTION_FILE, "")
            outcome = run_check(problem, solution, case.test_timeout_s)
            records.append(_record(problem, engine, endpoint.model, attempt, run, outcome, solution))
            runs.append(run)
            if outcome.passed:
                break
            message = f"{outcome.output}\n\n{RETRY_MESSAGE.format(files=SOLUTION_FILE)}"
        return records, runs
    finally:
        shutil.rmtree(folder, ignore_errors=True)
