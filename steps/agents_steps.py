"""Steps that run a real coding agent (Codex CLI, Claude Code) headless against the stack in a throwaway repository.

Example:
    Given a throwaway repository whose test fails until the bug in calc.py is fixed
    And the capable model with its whole context window, made with /api/create as an Ollama user makes it
    When Claude Code is asked headless to make the test pass, in up to 3 tries, with that model on the stack
    Then every try's turns reached the stack's /v1/messages route and were answered
    And in one try the test passes, the test file is unchanged and calc.py changed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from behave import given, then, when
from behave.runner import Context

from support.agents.runner import (
    AGENT_NUM_CTX,
    API_PATHS,
    TITLES,
    AgentName,
    AgentRun,
    create_windowed_model,
    delete_model,
    run_agent,
)
from support.agents.task import INSTRUCTION, Verdict, create_repository, judge, remove_repository
from support.bench.progress import Progress
from support.report.allure import attach_texts
from support.stacks.local import LocalProcessStack

REPO_ROOT = Path(__file__).resolve().parent.parent
TRY_TIMEOUT_S = 900.0
"""One try's bound: on 2 CPU cores a try took 23 to 248 s, the first turn of a cold prompt included; at 15 minutes the
agent is stuck."""
_BY_TITLE: dict[str, AgentName] = {title: agent for agent, title in TITLES.items()}


@dataclass(frozen=True)
class Try:
    """One headless run of the agent in its own copy of the task's repository, and what the repository shows after."""

    run: AgentRun
    verdict: Verdict


def _tries(context: Context) -> list[Try]:
    tries: list[Try] = context.agent_tries
    return tries


def _new_repository(context: Context) -> Path:
    repo = create_repository()
    context.add_cleanup(remove_repository, repo)
    return repo


@given("a throwaway repository whose test fails until the bug in calc.py is fixed")
def step_throwaway_repository(context: Context) -> None:
    """A new git repository with the buggy module and its test, committed; each try gets a fresh one like it."""
    context.agent_repo = _new_repository(context)
    assert not judge(context.agent_repo).test_passed, "the task's test passes before the agent ran"


@given("the capable model with its whole context window, made with /api/create as an Ollama user makes it")
def step_windowed_model(context: Context) -> None:
    """A copy of the capable model whose Modelfile sets num_ctx to its whole window; deleted after the scenario."""
    name = create_windowed_model(context.stack.ollama_url, context.needs.capable_model, AGENT_NUM_CTX)
    context.add_cleanup(delete_model, context.stack.ollama_url, name)
    context.agent_model = name


@when("{title} is asked headless to make the test pass, in up to {tries:d} tries, with that model on the stack")
def step_agent_fixes(context: Context, title: str, tries: int) -> None:
    """Run the agent until a try fixes the bug or the tries are spent, each try in a fresh copy of the repository.

    Each try's output and the turns the gateway logged go to the report.
    """
    if not isinstance(context.stack, LocalProcessStack):
        raise AssertionError("the agents' turns are read from the gateway's log: @needs.gateway_log should have skipped")
    agent = _BY_TITLE[title]
    done: list[Try] = []
    context.agent_tries = done
    progress = Progress(tries, f"{title} headless, up to {tries} tries")
    for number in range(1, tries + 1):
        repo = context.agent_repo if number == 1 else _new_repository(context)
        run = run_agent(REPO_ROOT, agent, repo, INSTRUCTION, context.agent_model,
                        context.stack.ollama_url, context.stack.openai_url, context.stack.log_path, TRY_TIMEOUT_S)
        verdict = judge(repo)
        done.append(Try(run, verdict))
        outcome = f"{'fixed' if verdict.fixed else 'not fixed'}; {run.summary()}"
        progress.batch(outcome)
        attach_texts(f"{title} headless, try {number}: {outcome}",
                     {**run.attachments(), "calc.py after": verdict.module_text, "pytest after.txt": verdict.test_output})
        if verdict.fixed:
            break


@then("every try's turns reached the stack's {path} route and were answered")
def step_turns_answered(context: Context, path: str) -> None:
    """At least one turn on the agent's route in every try, every one answered 200, and the agent exited on its own."""
    for number, attempt in enumerate(_tries(context), start=1):
        run = attempt.run
        assert API_PATHS[run.agent] == path, f"{TITLES[run.agent]} uses {API_PATHS[run.agent]}, not {path}"
        assert run.turns, f"try {number}: no request reached {path}; the agent said:\n{run.stderr[-3000:]}"
        failed = [turn for turn in run.turns if turn.status != 200]
        assert not failed, f"try {number}: turns answered with an error: {failed}"
        assert not run.timed_out, f"try {number}: the agent was still running after {run.seconds:.0f} s: {run.summary()}"


@then("in one try the test passes, the test file is unchanged and calc.py changed")
def step_fixed(context: Context) -> None:
    """The repositories' verdict, whatever the agent said: one try fixed the bug without touching the test."""
    verdicts = [attempt.verdict for attempt in _tries(context)]
    assert all(verdict.test_untouched for verdict in verdicts), "a try changed the test file"
    fixed = [verdict for verdict in verdicts if verdict.fixed]
    last = verdicts[-1]
    assert fixed, (f"no try of {len(verdicts)} fixed the bug; the last left calc.py "
                   f"{'changed' if last.module_changed else 'unchanged'} and the test said:\n{last.test_output[-2000:]}")
