"""Steps that run Aider through the stack: a scratch repository per scenario, then one Aider run (or a task set).

The checks on what a run left are in aider_check_steps.py.

Example:
    Given a scratch repository for the task "leap"
    When Aider asks "What does is_leap_year return?" by the openai route
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import replace
from pathlib import Path

from behave import given, when
from behave.runner import Context

from support.aider import benchmark
from support.aider.history import bulky_module, long_conversation
from support.aider.interruption import DisposableGateway
from support.aider.runner import (
    AiderOptions,
    AiderRun,
    Endpoint,
    litellm_model_info,
    run_aider,
    test_command_line,
)
from support.aider.tasks import load_tasks, task_named
from support.aider.wiretap import WireTap
from support.aider.workspace import Workspace
from support.report.allure import attach_texts
from support.stacks.local import LocalProcessStack

REPO_ROOT = Path(__file__).resolve().parent.parent
ERROR_BOUND_S = 25.0
"""litellm retries a refused or lost request for about a minute; the run is stopped here, long after the first error."""


def _workspace(context: Context) -> Workspace:
    workspace: Workspace = context.aider_workspace
    return workspace


def _gateway_log(context: Context) -> Path | None:
    return context.stack.log_path if isinstance(context.stack, LocalProcessStack) else None


def _endpoint(context: Context, route: str, model: str | None = None, url: str | None = None) -> Endpoint:
    base = url or context.stack.ollama_url
    return Endpoint(route, model or context.settings.model, base, f"{base}/v1" if url else context.stack.openai_url)


def _aider(context: Context, endpoint: Endpoint, options: AiderOptions, title: str) -> AiderRun:
    """Run Aider in the scenario's repository and attach everything it left to the report."""
    if getattr(context, "aider_num_ctx", None):
        options = replace(options, extra_params={**options.extra_params, "num_ctx": context.aider_num_ctx})
    run = run_aider(REPO_ROOT, _workspace(context), endpoint, options, _gateway_log(context))
    attach_texts(title, run.attachments())
    context.aider_run = run
    return run


def _ask(context: Context, question: str, endpoint: Endpoint, *, stream: bool = True, **extra: object) -> AiderRun:
    files = (*context.aider_task.chat_files, *getattr(context, "aider_extra_files", ()))
    # A question wants a sentence, not the rest of the context window: small models ramble until num_ctx.
    options = AiderOptions(message=question, files=files, chat_mode="ask", stream=stream, timeout_s=240,
                           restore_chat_history=getattr(context, "aider_restore", False),
                           extra_params={"stop": ["\n\n"]}, **extra)  # type: ignore[arg-type]
    context.aider_question = question
    return _aider(context, endpoint, options, f"Aider asks by {endpoint.route}: {question}")


@given('a scratch repository for the task "{task}"')
def step_scratch_repository(context: Context, task: str) -> None:
    """Copy the task's sources into a new git repository; its tests stay outside."""
    context.aider_task = task_named(task)
    context.aider_workspace = Workspace(context.aider_task).create()
    context.add_cleanup(context.aider_workspace.remove)


@given("the repository holds lookup tables larger than a {window:d}-token context window")
def step_bulky_files(context: Context, window: int) -> None:
    """Add and commit modules whose text alone is several times the window."""
    workspace = _workspace(context)
    names = [f"tables_{index}.py" for index in range(2)]
    for name in names:
        (workspace.repo / name).write_text(bulky_module(name.removesuffix(".py"), window // 50), encoding="utf-8")
    workspace.commit_all("lookup tables")
    context.aider_extra_files = names


@given("a restored conversation of {turns:d} earlier turns")
def step_long_conversation(context: Context, turns: int) -> None:
    """Write a chat history Aider will read back with --restore-chat-history."""
    (_workspace(context).repo / ".aider.chat.history.md").write_text(long_conversation(turns), encoding="utf-8")
    context.aider_restore = True


@given("Aider's model settings fix num_ctx at {window:d}")
def step_fixed_num_ctx(context: Context, window: int) -> None:
    """Send this num_ctx on every request instead of Aider's own estimate (a model settings file)."""
    context.aider_num_ctx = window


@when('Aider asks "{question}" by the {route} route')
def step_ask_by_route(context: Context, question: str, route: str) -> None:
    """Ask a question in Aider's ask mode, which edits nothing."""
    _ask(context, question, _endpoint(context, route, model=context.needs.capable_model))


@when('Aider asks "{question}" without streaming')
def step_ask_without_streaming(context: Context, question: str) -> None:
    """Ask by the native route with --no-stream, so Aider reports the counts the stack sent back."""
    _ask(context, question, _endpoint(context, "ollama_chat", model=context.needs.capable_model), stream=False)


@when('Aider asks "{question}" through a recording tap')
def step_ask_through_tap(context: Context, question: str) -> None:
    """Ask by the native route through a forwarder that keeps a copy of every request and response."""
    with WireTap(context.stack.ollama_url) as tap:
        endpoint = _endpoint(context, "ollama_chat", model=context.needs.capable_model, url=tap.url)
        _ask(context, question, endpoint, map_tokens=1024, max_chat_history_tokens=100000)
    context.tapped = [record for record in tap.records if record.path == "/api/chat"]
    attach_texts("what crossed the wire", {f"{r.method} {r.path} -> {r.status}": f"{r.request_body.decode(errors='replace')}\n\n"
                                          f"{r.response_body.decode(errors='replace')}" for r in context.tapped})


@when("litellm reads the model's information as Aider does")
def step_litellm_model_info(context: Context) -> None:
    """Call litellm.get_model_info in Aider's virtualenv, which asks the stack's /api/show."""
    context.model_info = litellm_model_info(REPO_ROOT, _endpoint(context, "ollama_chat"), _workspace(context).home)
    attach_texts("litellm.get_model_info", {"result": repr(context.model_info)})


@when('Aider asks for the task\'s edit from the model "{model}" by the {route} route')
def step_edit_unknown_model(context: Context, model: str, route: str) -> None:
    """Ask for the edit from a model the stack does not have; the run is bounded while litellm retries."""
    task = context.aider_task
    options = AiderOptions(message=task.instruction, files=task.chat_files, timeout_s=ERROR_BOUND_S)
    _aider(context, _endpoint(context, route, model=model), options, f"Aider edits with {model} by {route}")


@when("the gateway Aider talks to is stopped while it answers Aider's edit request")
def step_stop_mid_run(context: Context) -> None:
    """Give Aider a gateway of its own and kill it once the model is loaded for Aider's request."""
    scratch = _workspace(context).root / "gateway"
    gateway = DisposableGateway(REPO_ROOT, scratch / "models", context.settings.results_dir / "aider-stopped-gateway.log", context.settings.engine)
    context.add_cleanup(gateway.stop)
    gateway.start()
    task = context.aider_task
    options = AiderOptions(message=task.instruction, files=task.chat_files, timeout_s=ERROR_BOUND_S + 20)
    endpoint = _endpoint(context, "ollama_chat", model="smollm2:135m", url=gateway.url)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # Only the main thread may write to the Allure report, so the run is attached after it ends.
        future = pool.submit(run_aider, REPO_ROOT, _workspace(context), endpoint, options, gateway.log_path)
        context.killed_mid_request = gateway.kill_when_busy("smollm2", ERROR_BOUND_S)
        context.aider_run = future.result()
    attach_texts("Aider edits while its gateway is killed", context.aider_run.attachments())


@when("Aider makes the task's edit with the capable model, with one more try if the tests fail")
def step_capable_edit(context: Context) -> None:
    """Send the instruction; if the tests fail, send their output back once, as Aider's benchmark does."""
    task, workspace = context.aider_task, _workspace(context)
    endpoint = _endpoint(context, "ollama_chat", model=context.needs.capable_model)
    message = task.instruction
    for attempt in (1, 2):
        # Every file the task needs is in the chat; as in Aider's benchmark, no repository map competes with them.
        options = AiderOptions(message=message, files=task.chat_files, restore_chat_history=attempt > 1, map_tokens=0, timeout_s=300)
        _aider(context, endpoint, options, f"Aider edits, try {attempt}")
        outcome = workspace.run_tests()
        if outcome.passed:
            break
        message = f"{outcome.output[-4000:]}\n\n{benchmark.RETRY_MESSAGE.format(files=', '.join(task.chat_files))}"
    context.aider_before = workspace.files_at_start()


@when("Aider fixes the task with the capable model, running the task's tests after every edit")
def step_auto_test(context: Context) -> None:
    """One Aider run with --test-cmd and --auto-test: failing test output goes back to the model, up to 3 times."""
    task, workspace = context.aider_task, _workspace(context)
    options = AiderOptions(message=task.instruction, files=task.chat_files, test_command=test_command_line(workspace),
                           auto_test=True, timeout_s=420)
    _aider(context, _endpoint(context, "ollama_chat", model=context.needs.capable_model), options, "Aider edits with --auto-test")
    context.aider_before = workspace.files_at_start()


@when("the capable model answers the task's instruction but Aider does not apply its edit")
def step_dry_run(context: Context) -> None:
    """The negative control: a real reply, left unapplied by --dry-run."""
    task = context.aider_task
    options = AiderOptions(message=task.instruction, files=task.chat_files, dry_run=True, timeout_s=300)
    _aider(context, _endpoint(context, "ollama_chat", model=context.needs.capable_model), options, "Aider replies with --dry-run")
    context.aider_before = _workspace(context).files_at_start()


@when("Aider attempts every task of the set in the {edit_format} edit format")
def step_task_set(context: Context, edit_format: str) -> None:
    """Run the whole task set, two tries each, record per-task rows and the leaderboard table."""
    endpoint = _endpoint(context, "ollama_chat", model=context.needs.capable_model)
    tries = int(context.config.userdata.get("aider_tries", "2"))
    results = []
    out = context.settings.results_dir / "aider"
    for task in load_tasks():
        result = benchmark.attempt_task(REPO_ROOT, task, endpoint, context.settings.engine, edit_format, _gateway_log(context), tries=tries)
        attach_texts(f"{task.name}: passed on try {result.passed_try or 'none'}", result.runs[-1].attachments())
        # Row by row, so a run stopped part-way still leaves what it measured.
        benchmark.append_csv(out / "success_rate.csv", [result])
        results.append(result)
    scores = benchmark.write_table(out / "success_rate.csv", out / "success_rate.md")
    context.aider_score = benchmark.score(results)
    attach_texts("success rate", {"table": (out / "success_rate.md").read_text(encoding="utf-8"), "per task": "\n".join(
        f"{r.task}: try {r.passed_try or '-'} {'malformed ' if r.malformed else ''}{r.problems}" for r in results)})
    context.aider_scores = scores
