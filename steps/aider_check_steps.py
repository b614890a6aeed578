"""Checks on what an Aider run left: the gateway's access log, the wire, the files, git and the task's tests.

None reads Aider's exit status, which is 0 after failed calls too. The runs themselves are in aider_steps.py.

Example:
    Then the gateway answered Aider's requests to /api/chat with status 404
    And the files and the git history are unchanged
"""

from __future__ import annotations

from behave import then
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
from support.aider.history import reply_to
from support.aider.judge import docstring_problems, files_mentioning
from support.aider.runner import AiderRun, format_tokens, parse_tokens
from support.aider.workspace import Workspace


def _workspace(context: Context) -> Workspace:
    workspace: Workspace = context.aider_workspace
    return workspace


def _run(context: Context) -> AiderRun:
    run: AiderRun = context.aider_run
    return run


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
