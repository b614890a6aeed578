"""Steps for Aider through the stack: a scratch repository per scenario, one Aider run, and checks on what it left.

Every Then reads files, git, the task's tests, the gateway's access log or the wire, never Aider's exit status.

Example:
    Given a scratch repository for the task "leap"
    When Aider asks "What does is_leap_year return?" by the openai route
    Then the gateway answered Aider's requests to /v1/chat/completions with status 200
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import replace
from pathlib import Path

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_item,
    has_length,
    is_not,
    less_than_or_equal_to,
)

from support.aider import benchmark
from support.aider.history import bulky_module, long_conversation, reply_to
from support.aider.interruption import DisposableGateway
from support.aider.judge import docstring_problems, files_mentioning
from support.aider.runner import (
    AiderOptions,
    AiderRun,
    Endpoint,
    format_tokens,
    litellm_model_info,
    parse_tokens,
    run_aider,
    test_command_line,
)
from support.aider.tasks import load_tasks, task_named
from support.aider.wiretap import WireTap
from support.aider.workspace import Workspace
from support.reporting import attach_texts
from support.stack import LocalProcessStack

REPO_ROOT = Path(__file__).resolve().parent.parent
ERROR_BOUND_S = 25.0
"""litellm retries a refused or lost request for about a minute; the run is stopped here, long after the first error."""


def _workspace(context: Context) -> Workspace:
    workspace: Workspace = context.aider_workspace
    return workspace


def _run(context: Context) -> AiderRun:
    run: AiderRun = context.aider_run
    return run


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
        options = AiderOptions(message=message, files=task.chat_files, restore_chat_history=attempt > 1, timeout_s=300)
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


@then("the gateway answered Aider's requests to {path} with status {status:d}")
def step_gateway_answered(context: Context, path: str, status: int) -> None:
    """The access log holds Aider's requests to the path, every one with that status."""
    statuses = [entry.status for entry in _run(context).chat_requests(path)]
    assert_that(statuses, has_length(greater_than(0)), f"no {path} line in the gateway's log for the run: {_run(context).gateway_log[-2000:]}")
    assert_that(set(statuses), equal_to({status}), f"statuses of {path} in the gateway's log")


@then("Aider's chat history holds the model's reply")
def step_reply_in_history(context: Context) -> None:
    """Text from the model follows the question in .aider.chat.history.md."""
    reply = reply_to(_run(context).chat_history, context.aider_question)
    assert_that(reply, is_not(equal_to("")), f"no reply after the question in the chat history:\n{_run(context).chat_history[-3000:]}")


@then("the files and the git history are unchanged")
def step_unchanged(context: Context) -> None:
    """Same files, same commits, nothing uncommitted."""
    run = _run(context)
    assert_that(run.files_after, equal_to(run.files_before), "files after the run")
    assert_that(run.git_log_after, equal_to(run.git_log_before), "git log after the run")
    assert_that(_workspace(context).uncommitted(), empty(), "uncommitted changes")


@then("every chat request Aider sent carried options.num_ctx of at least {minimum:d}")
def step_num_ctx_on_wire(context: Context, minimum: int) -> None:
    """Aider sizes num_ctx itself (its token estimate x 1.25 + 8192) and litellm sends it in options."""
    assert_that(context.tapped, has_length(greater_than(0)), "no /api/chat request crossed the tap")
    for record in context.tapped:
        assert_that(record.request_json().get("options", {}).get("num_ctx", 0), greater_than_or_equal_to(minimum),
                    f"options.num_ctx of {record.request_body[:300]!r}")


@then("every streamed answer came back as NDJSON ending in a done chunk with the counts the gateway logged")
def step_streamed_answer(context: Context) -> None:
    """Each streamed request got several NDJSON lines, the last one done with token counts equal to the access log's."""
    logged = [(e.prompt_tokens, e.eval_tokens) for e in _run(context).chat_requests("/api/chat")]
    streamed = [record for record in context.tapped if record.request_json().get("stream")]
    assert_that(streamed, has_length(greater_than(0)), "no streamed /api/chat request crossed the tap")
    for record in streamed:
        lines = record.response_lines()
        assert_that(record.content_type, contains_string("application/x-ndjson"), "content type of the streamed answer")
        assert_that(len(lines), greater_than(1), f"chunks of {record.response_body[:500]!r}")
        last = lines[-1]
        assert_that(last.get("done"), equal_to(True), f"last chunk {last}")
        assert_that(logged, has_item((last.get("prompt_eval_count"), last.get("eval_count"))), f"access-log counts vs final chunk {last}")


@then("the tokens Aider reports are the gateway's prompt_eval_count and eval_count")
def step_tokens_match(context: Context) -> None:
    """Aider's "Tokens: X sent, Y received." is the gateway's counts for the request, in Aider's format."""
    chat = _run(context).chat_requests("/api/chat")
    assert_that(chat, has_length(greater_than(0)), "no /api/chat line in the gateway's log")
    expected = (format_tokens(chat[0].prompt_tokens or 0), format_tokens(chat[0].eval_tokens or 0))
    assert_that(_run(context).reported_tokens(), has_item(expected), f"Aider's token report; the gateway logged {chat[0].raw}")


@then("litellm's context window is the context length /api/show reports for the model")
def step_context_length(context: Context) -> None:
    """max_input_tokens as litellm derives it from /api/show's model_info equals the model's context length."""
    info = context.ollama.show(context.settings.model).json().get("model_info", {})
    lengths = [value for key, value in info.items() if key.endswith(".context_length")]
    assert_that(lengths, has_length(greater_than(0)), f"context_length in /api/show model_info: {info}")
    assert_that(context.model_info.get("max_input_tokens"), equal_to(lengths[0]), f"litellm's model info {context.model_info}")


@then("the gateway fitted Aider's request into {window:d} tokens and answered it")
def step_fitted(context: Context, window: int) -> None:
    """Answered with 200, counting no more prompt tokens than the window, though Aider counted more in what it sent."""
    chat = _run(context).chat_requests("/api/chat")
    assert_that([e.status for e in chat], all_of(has_length(greater_than(0)), equal_to([200] * len(chat))), "statuses of /api/chat")
    for entry in chat:
        assert_that(entry.prompt_tokens or 0, all_of(greater_than(0), less_than_or_equal_to(window)), f"prompt tokens of {entry.raw}")
    # Streaming, Aider counts what it sent with its own tokenizer; the gateway's count is what reached the model.
    sent = [parse_tokens(sent) for sent, _ in _run(context).reported_tokens()]
    assert_that(sent, has_item(greater_than(window)), "Aider's own count of the tokens it sent")


@then('Aider reports the stack\'s error "{text}"')
def step_reports_error(context: Context, text: str) -> None:
    """The stack's error text reaches Aider's output."""
    assert_that(_run(context).output, contains_string(text), "Aider's output")


@then("Aider reports that it lost the stack")
def step_reports_lost(context: Context) -> None:
    """The gateway went away during the request, and Aider says it could not complete it."""
    assert_that(context.killed_mid_request, equal_to(True), "the gateway was killed while Aider's request was in flight")
    assert_that(_run(context).output, contains_string("APIConnectionError"), "Aider's output")


@then("the task's tests pass")
def step_tests_pass(context: Context) -> None:
    """The task's own tests, copied in fresh, pass against the repository."""
    outcome = _workspace(context).run_tests()
    assert_that(outcome.passed, equal_to(True), f"the task's tests:\n{outcome.output[-3000:]}")


@then("Aider committed its change to {files}")
def step_committed(context: Context, files: str) -> None:
    """The named files differ from the task's first commit, and nothing is left uncommitted."""
    changed = _workspace(context).changed_files()
    for name in (part.strip() for part in files.replace(" and ", ",").split(",")):
        assert_that(changed, has_item(name), "files changed since the task's first commit")
    assert_that(_workspace(context).uncommitted(), empty(), "uncommitted changes")


@then('"{name}" appears in no file of the repository')
def step_name_gone(context: Context, name: str) -> None:
    """A rename leaves no trace of the old name."""
    assert_that(files_mentioning(_workspace(context).files(), name), empty(), f"files still naming {name}")


@then("every public function in {path} has a docstring and its code is otherwise unchanged")
def step_docstrings(context: Context, path: str) -> None:
    """Docstrings on every public function, and the syntax tree without them equal to the original's."""
    assert_that(docstring_problems(context.aider_before, _workspace(context).files(), (path,)), empty(), "documentation problems")


@then("Aider ran the task's tests after its edit")
def step_ran_tests(context: Context) -> None:
    """pytest's summary from --test-cmd is in Aider's output."""
    assert_that(_run(context).output, contains_string(" passed"), "Aider's output after --auto-test")


@then("the model's reply held an edit that Aider did not apply")
def step_reply_not_applied(context: Context) -> None:
    """Aider parsed an edit to a chat file and left it unapplied."""
    assert_that(_run(context).output, contains_string("Did not apply edit to"), "Aider's output under --dry-run")


@then("the edit checks reject the repository")
def step_checks_reject(context: Context) -> None:
    """The same checks the edit scenarios use fail: the tests, and the missing commit."""
    verdict, _ = benchmark.judge_task(context.aider_task, _workspace(context), context.aider_before)
    assert_that(verdict.passed, equal_to(False), "the task's verdict on an unapplied edit")
    assert_that(_workspace(context).changed_files(), empty(), "files changed since the task's first commit")


@then("the pass rates are written to the run's aider results and at least {minimum:d} percent of the tasks pass by try 2")
def step_pass_rate(context: Context, minimum: int) -> None:
    """The CSV and table exist, and the rate meets what the profile expects of the capable model."""
    out = context.settings.results_dir / "aider"
    assert_that((out / "success_rate.csv").exists() and (out / "success_rate.md").exists(), equal_to(True), f"files in {out}")
    assert_that(context.aider_score.pass_rate_2, greater_than_or_equal_to(minimum), f"score {context.aider_score}")
