"""The task set run the way Aider's benchmark runs it, and scored the way its leaderboard scores models.

Per task: the instruction with the chat files, then the task's tests; on a failure, a second try that sends the test
output back ("try 2"). pass_rate_N is the share of tasks passed by try N; percent_well_formed the share of tasks with
no reply Aider rejected as malformed. A model's individual mistakes are data here, not failures of the suite.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from support.aider.judge import Verdict, docstring_problems, files_mentioning
from support.aider.runner import AiderOptions, AiderRun, Endpoint, run_aider
from support.aider.tasks import Task
from support.aider.workspace import Workspace

RETRY_MESSAGE = (
    "See the testing errors above. The tests are correct, don't try and change them. "
    "Fix the code in {files} to resolve the errors."
)
"""Aider's benchmark's second-try prompt (benchmark/prompts.py), in substance."""


def judge_task(task: Task, workspace: Workspace, files_before: dict[str, str]) -> tuple[Verdict, str]:
    """The task's verdict from the repository as it is now, and the test output."""
    outcome = workspace.run_tests()
    files = workspace.files()
    problems: list[str] = [] if outcome.passed else ["the task's tests fail"]
    for name in task.absent:
        still = files_mentioning(files, name)
        if still:
            problems.append(f"{name} still appears in {', '.join(still)}")
    problems += docstring_problems(files_before, files, task.docstrings)
    return Verdict(not problems, tuple(problems)), outcome.output


@dataclass
class TaskResult:
    """One task on one engine, route and edit format."""

    task: str
    kind: str
    engine: str
    route: str
    edit_format: str
    passed_try: int
    """1 or 2 for the try that passed, 0 when neither did."""
    malformed: bool
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    problems: str
    runs: list[AiderRun] = field(default_factory=list, repr=False)

    def row(self) -> dict[str, object]:
        """The CSV row: everything but the runs themselves."""
        data = asdict(self)
        data.pop("runs")
        data["seconds"] = round(self.seconds, 1)
        return data


def attempt_task(
    repo_root: Path, task: Task, endpoint: Endpoint, engine: str, edit_format: str, gateway_log: Path | None,
    tries: int = 2, timeout_s: float = 300.0,
) -> TaskResult:
    """Run one task up to `tries` times in a fresh repository and judge it after every try."""
    workspace = Workspace(task).create()
    try:
        files_before = workspace.files()
        message = task.instruction
        runs: list[AiderRun] = []
        verdict = Verdict(False, ("not run",))
        passed_try = 0
        for attempt in range(1, tries + 1):
            options = AiderOptions(message=message, files=task.chat_files, edit_format=edit_format, auto_commits=False,
                                   stream=False, map_tokens=0, restore_chat_history=attempt > 1, timeout_s=timeout_s)
            runs.append(run_aider(repo_root, workspace, endpoint, options, gateway_log))
            verdict, test_output = judge_task(task, workspace, files_before)
            if verdict.passed:
                passed_try = attempt
                break
            message = f"{test_output[-4000:]}\n\n{RETRY_MESSAGE.format(files=', '.join(task.chat_files))}"
        chat = [entry for run in runs for entry in run.access if entry.path in ("/api/chat", "/v1/chat/completions")]
        return TaskResult(
            task=task.name, kind=task.kind, engine=engine, route=endpoint.route, edit_format=edit_format, passed_try=passed_try,
            malformed=any(run.malformed for run in runs), seconds=sum(run.seconds for run in runs),
            prompt_tokens=sum(entry.prompt_tokens or 0 for entry in chat), completion_tokens=sum(entry.eval_tokens or 0 for entry in chat),
            problems="; ".join(verdict.problems), runs=runs,
        )
    finally:
        workspace.remove()


@dataclass(frozen=True)
class Score:
    """One leaderboard row: an engine, route and edit format over the task set."""

    engine: str
    route: str
    edit_format: str
    tasks: int
    pass_rate_1: float
    pass_rate_2: float
    percent_well_formed: float
    seconds_per_case: float


def score(results: Sequence[TaskResult]) -> Score:
    """Aider's summary for one group of results: rates over the tasks completed, one decimal."""
    count = len(results)
    if count == 0:
        raise ValueError("no results to score")
    first = results[0]

    def percent(predicate: Callable[[TaskResult], bool]) -> float:
        return round(100.0 * sum(1 for result in results if predicate(result)) / count, 1)

    return Score(
        engine=first.engine, route=first.route, edit_format=first.edit_format, tasks=count,
        pass_rate_1=percent(lambda r: r.passed_try == 1), pass_rate_2=percent(lambda r: r.passed_try in (1, 2)),
        percent_well_formed=percent(lambda r: not r.malformed),
        seconds_per_case=round(sum(result.seconds for result in results) / count, 1),
    )


CSV_FIELDS = ("task", "kind", "engine", "route", "edit_format", "passed_try", "malformed", "seconds", "prompt_tokens", "completion_tokens", "problems")


def append_rows(path: Path, fields: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """Add rows to a CSV, writing the header when the file is new, so a stopped run keeps what it measured."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def append_csv(path: Path, results: Sequence[TaskResult]) -> None:
    """Add per-task rows to the run's CSV."""
    append_rows(path, CSV_FIELDS, (result.row() for result in results))


def read_scores(path: Path) -> list[Score]:
    """Every engine/route/format group in a per-task CSV, scored."""
    groups: dict[tuple[str, str, str], list[TaskResult]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            result = TaskResult(
                task=row["task"], kind=row["kind"], engine=row["engine"], route=row["route"], edit_format=row["edit_format"],
                passed_try=int(row["passed_try"]), malformed=row["malformed"] == "True", seconds=float(row["seconds"]),
                prompt_tokens=int(row["prompt_tokens"]), completion_tokens=int(row["completion_tokens"]), problems=row["problems"],
            )
            groups.setdefault((result.engine, result.route, result.edit_format), []).append(result)
    return [score(results) for results in groups.values()]


def markdown_table(scores: Sequence[Score]) -> str:
    """The leaderboard's columns: pass rates, well-formed replies, time per task."""
    lines = [
        "| engine | route | edit format | tasks | pass rate 1 (%) | pass rate 2 (%) | well-formed (%) | s/task |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        lines.append(f"| {s.engine} | {s.route} | {s.edit_format} | {s.tasks} | {s.pass_rate_1} | {s.pass_rate_2} | "
                     f"{s.percent_well_formed} | {s.seconds_per_case} |")
    return "\n".join(lines) + "\n"


def write_table(csv_path: Path, table_path: Path) -> list[Score]:
    """Rewrite the Markdown table from everything the CSV holds so far."""
    scores = read_scores(csv_path)
    table_path.write_text(markdown_table(scores), encoding="utf-8")
    return scores
