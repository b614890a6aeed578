"""Steps that run a real coding agent (Codex CLI, Claude Code) headless against the stack in a throwaway repository.

Example:
    Given a throwaway repository whose test fails until the bug in calc.py is fixed
    And the capable model with its whole context window, made with /api/create as an Ollama user makes it
    When Codex CLI is asked headless to make the test pass, with that model on the stack
    Then the agent's turns reached the stack's /v1/responses route and were answered
    And the test passes, the test file is unchanged and calc.py changed
"""

from __future__ import annotations

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
from support.agents.task import INSTRUCTION, create_repository, judge, remove_repository
from support.report.allure import attach_texts
from support.stacks.local import LocalProcessStack

REPO_ROOT = Path(__file__).resolve().parent.parent
AGENT_TIMEOUT_S = 1800.0
"""One run's bound: a GPU profile answers each turn in seconds, so half an hour means the agent is stuck."""
_BY_TITLE: dict[str, AgentName] = {title: agent for agent, title in TITLES.items()}


def _run(context: Context) -> AgentRun:
    run: AgentRun = context.agent_run
    return run


@given("a throwaway repository whose test fails until the bug in calc.py is fixed")
def step_throwaway_repository(context: Context) -> None:
    """A new git repository with the buggy module and its test, committed; removed after the scenario."""
    context.agent_repo = create_repository()
    context.add_cleanup(remove_repository, context.agent_repo)
    assert not judge(context.agent_repo).test_passed, "the task's test passes before the agent ran"


@given("the capable model with its whole context window, made with /api/create as an Ollama user makes it")
def step_windowed_model(context: Context) -> None:
    """A copy of the capable model whose Modelfile sets num_ctx to its whole window; deleted after the scenario."""
    name = create_windowed_model(context.stack.ollama_url, context.needs.capable_model, AGENT_NUM_CTX)
    context.add_cleanup(delete_model, context.stack.ollama_url, name)
    context.agent_model = name


@when("{title} is asked headless to make the test pass, with that model on the stack")
def step_agent_fixes(context: Context, title: str) -> None:
    """Run the agent once in the repository; its output and the turns the gateway logged go to the report."""
    if not isinstance(context.stack, LocalProcessStack):
        raise AssertionError("the agents' turns are read from the gateway's log: @needs.gateway_log should have skipped")
    agent = _BY_TITLE[title]
    run = run_agent(REPO_ROOT, agent, context.agent_repo, INSTRUCTION, context.agent_model,
                    context.stack.ollama_url, context.stack.openai_url, context.stack.log_path, AGENT_TIMEOUT_S)
    attach_texts(f"{title} headless: {run.summary()}", run.attachments())
    context.agent_run = run


@then("the agent's turns reached the stack's {path} route and were answered")
def step_turns_answered(context: Context, path: str) -> None:
    """At least one turn on the agent's route, every one answered 200, and the agent exited on its own."""
    run = _run(context)
    assert API_PATHS[run.agent] == path, f"{TITLES[run.agent]} uses {API_PATHS[run.agent]}, not {path}"
    assert run.turns, f"no request reached {path}; the agent said:\n{run.stderr[-3000:]}"
    failed = [turn for turn in run.turns if turn.status != 200]
    assert not failed, f"turns answered with an error: {failed}"
    assert not run.timed_out, f"the agent was still running after {run.seconds:.0f} s: {run.summary()}"


@then("the test passes, the test file is unchanged and calc.py changed")
def step_fixed(context: Context) -> None:
    """The repository's verdict, whatever the agent said."""
    verdict = judge(context.agent_repo)
    attach_texts("The repository after the agent", {"calc.py": verdict.module_text, "pytest.txt": verdict.test_output})
    assert verdict.test_untouched, "the agent changed the test file"
    assert verdict.module_changed, "calc.py is unchanged"
    assert verdict.test_passed, f"the test still fails:\n{verdict.test_output[-2000:]}"
