"""support/aider: the task set, the judges, the access-log reader, the scoring and the command line, without Aider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.aider import benchmark
from support.aider.gateway_log import parse_access_lines
from support.aider.history import long_conversation, reply_to
from support.aider.judge import docstring_problems, files_mentioning, same_code_apart_from_docstrings
from support.aider.runner import AiderOptions, Endpoint, aider_command, format_tokens
from support.aider.tasks import KINDS, Task, load_tasks
from support.aider.workspace import Workspace

TASKS = load_tasks()


def test_the_task_set_is_large_enough_and_covers_every_kind() -> None:
    assert len(TASKS) >= 8
    assert {task.kind for task in TASKS} == set(KINDS)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.name)
def test_no_task_passes_before_the_edit(task: Task, tmp_path: Path) -> None:
    """The negative control for every task: its untouched sources fail its checks."""
    workspace = Workspace(task, tmp_path / "run").create()
    verdict, output = benchmark.judge_task(task, workspace, workspace.files())
    assert not verdict.passed, output
    assert workspace.git_log()[0].endswith(f"task {task.name}")


def test_a_rename_is_judged_by_the_old_name_anywhere() -> None:
    files = {"a.py": "def rectangle_area(): ...", "b.py": "x = calc_area_total\ny = calc_area(1)"}
    assert files_mentioning(files, "calc_area") == ["b.py"]


def test_docstrings_must_be_added_and_nothing_else_changed() -> None:
    before = {"m.py": "def f(x):\n    return x + 1\n"}
    documented = {"m.py": 'def f(x):\n    """One more than x."""\n    return x + 1\n'}
    changed = {"m.py": 'def f(x):\n    """One more than x."""\n    return x + 2\n'}
    assert docstring_problems(before, documented, ("m.py",)) == []
    assert docstring_problems(before, before, ("m.py",)) == ["m.py: no docstring on f"]
    assert docstring_problems(before, changed, ("m.py",)) == ["m.py: the code changed, not only its docstrings"]
    assert "no longer parses" in docstring_problems(before, {"m.py": "def f(:"}, ("m.py",))[0]
    assert same_code_apart_from_docstrings(before["m.py"], documented["m.py"])


def test_access_lines_are_read_from_the_stack_log() -> None:
    entry = {"method": "POST", "path": "/api/chat", "model": "m", "status": 200, "prompt_tokens": 12, "eval_tokens": 3}
    log = f"2026-01-01 INFO stack.gateway engine loaded\n2026-01-01 INFO stack.gateway.access {json.dumps(entry)}\nnot json\n"
    [parsed] = parse_access_lines(log)
    assert (parsed.path, parsed.status, parsed.prompt_tokens, parsed.eval_tokens) == ("/api/chat", 200, 12, 3)


def test_the_reply_is_the_text_after_the_question() -> None:
    history = "# aider chat started at x\n\n#### Why?\n\n> Tokens: 3 sent\n\nBecause.\n\n#### Next\n\nLater.\n"
    assert reply_to(history, "Why?") == "Because."
    assert reply_to(history, "Never asked") == ""
    assert long_conversation(3).count("#### ") == 3


def test_token_counts_are_formatted_as_aider_prints_them() -> None:
    assert [format_tokens(n) for n in (999, 1000, 9449, 12600)] == ["999", "1.0k", "9.4k", "13k"]


def test_the_command_is_offline_headless_and_names_its_edit_format(tmp_path: Path) -> None:
    endpoint = Endpoint("ollama_chat", "qwen2.5-coder:1.5b", "http://127.0.0.1:1", "http://127.0.0.1:1/v1")
    command = aider_command(tmp_path, endpoint, AiderOptions(message="hi", files=("a.py",), edit_format="diff", auto_commits=False), None)
    assert command[1:3] == ["--model", "ollama_chat/qwen2.5-coder:1.5b"]
    for flag in ("--no-check-update", "--analytics-disable", "--no-show-model-warnings", "--yes-always", "--no-auto-commits"):
        assert flag in command
    assert command[command.index("--edit-format") + 1] == "diff"
    assert command[-1] == "a.py"
    assert endpoint.environment() == {"OLLAMA_API_BASE": "http://127.0.0.1:1"}
    assert Endpoint("openai", "m", "u", "http://x/v1").environment()["OPENAI_API_BASE"] == "http://x/v1"


def _result(task: str, passed_try: int, malformed: bool = False) -> benchmark.TaskResult:
    return benchmark.TaskResult(task, "generation", "llamacpp", "ollama_chat", "whole", passed_try, malformed, 10.0, 100, 10, "")


def test_scores_count_tasks_by_the_try_that_passed(tmp_path: Path) -> None:
    results = [_result("a", 1), _result("b", 2, malformed=True), _result("c", 0), _result("d", 1)]
    score = benchmark.score(results)
    assert (score.pass_rate_1, score.pass_rate_2, score.percent_well_formed, score.seconds_per_case) == (50.0, 75.0, 75.0, 10.0)
    benchmark.append_csv(tmp_path / "rate.csv", results)
    [read] = benchmark.write_table(tmp_path / "rate.csv", tmp_path / "rate.md")
    assert read == score
    assert "| llamacpp | ollama_chat | whole | 4 | 50.0 | 75.0 | 75.0 | 10.0 |" in (tmp_path / "rate.md").read_text()
