"""Steps for the context window: prompts longer than it, answers that fill it, and the window a model runs with.

Example:
    When a client sends /api/generate a prompt longer than a 128-token window with "truncate": false
    Then the response status is 400
    And the error is llama-server's refusal of a prompt that fills a 128-token window
"""

from __future__ import annotations

from typing import Any

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than, has_entries, less_than_or_equal_to, not_none

from support import ollama
from support.http import Exchange
from support.window import expected_default_window, llama_server_refusal, long_prompt, machine_vram, model_window

STORY = "Write a long story about a dragon."


def _send(context: Context, api: str, prompt: str, window: int | None, **extra: Any) -> None:
    """A non-streamed request on /api/generate or /api/chat, in the given window (None: the default one)."""
    context.window = window
    settings = {"num_ctx": window} if window else {}
    model = context.settings.model
    if api == "generate":
        body = ollama.generate_body(model, prompt, stream=False, num_predict=4, **extra)
    else:
        body = ollama.chat_body(model, [ollama.user(prompt)], stream=False, num_predict=4, **extra)
    body["options"].update(settings)
    context.response = context.ollama.generate(body) if api == "generate" else context.ollama.chat(body)


def _default_window(context: Context) -> int:
    """The window Ollama would give the model on this machine: its VRAM tier within the model's own window."""
    show = ollama.ok_json(context.ollama.show(context.settings.model))
    return expected_default_window(machine_vram(), model_window(show))


@when("a client sends /api/{api} a prompt longer than a {window:d}-token window")
def step_long_prompt(context: Context, api: str, window: int) -> None:
    """A prompt of more words than the window holds tokens, with truncate and shift left to their defaults."""
    _send(context, api, long_prompt(window + 50), window)


@when('a client sends /api/{api} a prompt longer than a {window:d}-token window with "{switch}": false')
def step_long_prompt_switched(context: Context, api: str, window: int, switch: str) -> None:
    """The same, with `truncate` or `shift` turned off."""
    _send(context, api, long_prompt(window + 50), window, **{switch: False})


@when('a client sends /api/generate a prompt longer than the machine\'s default window with "truncate": false')
def step_long_prompt_default_untruncated(context: Context) -> None:
    """A prompt longer than the default window, with no window set and truncation forbidden."""
    window = _default_window(context)
    _send(context, "generate", long_prompt(window + 100), None, truncate=False)
    context.window = window


@when("a client asks for a {tokens:d}-token answer in a {window:d}-token window")
def step_long_answer(context: Context, tokens: int, window: int) -> None:
    """A story prompt whose answer, at its budget, would not fit the window."""
    context.window = window
    body = ollama.generate_body(context.settings.model, STORY, stream=False, num_predict=tokens)
    body["options"]["num_ctx"] = window
    context.response = context.ollama.generate(body)


@when('a client asks for a {tokens:d}-token answer in a {window:d}-token window with "shift": false')
def step_long_answer_unshifted(context: Context, tokens: int, window: int) -> None:
    """The same, with context shift off."""
    context.window = window
    body = ollama.generate_body(context.settings.model, STORY, stream=False, num_predict=tokens, shift=False)
    body["options"]["num_ctx"] = window
    context.response = context.ollama.generate(body)


@when("a client asks for a short answer without setting a window")
def step_short_default(context: Context) -> None:
    """A one-token answer with no num_ctx: the model runs with the default window."""
    _send(context, "generate", ollama.PROMPT, None)


@when("a client asks for a short answer in a {window:d}-token window")
def step_short_window(context: Context, window: int) -> None:
    """A one-token answer in the given window."""
    _send(context, "generate", ollama.PROMPT, window)


@then("the prompt the model read fits the window")
def step_prompt_fits(context: Context) -> None:
    """prompt_eval_count is at most the window."""
    response: Exchange = context.response
    body = ollama.ok_json(response)
    assert_that(body.get("prompt_eval_count", 0), less_than_or_equal_to(context.window), response.describe())


@then("the prompt and the answer fit the window")
def step_all_fits(context: Context) -> None:
    """prompt_eval_count plus eval_count is at most the window."""
    response: Exchange = context.response
    body = ollama.ok_json(response)
    used = body.get("prompt_eval_count", 0) + body.get("eval_count", 0)
    assert_that(used, less_than_or_equal_to(context.window), response.describe())


@then("the answer went on past the window")
def step_past_window(context: Context) -> None:
    """prompt_eval_count plus eval_count is more than the window: the context was shifted to make room."""
    response: Exchange = context.response
    body = ollama.ok_json(response)
    used = body.get("prompt_eval_count", 0) + body.get("eval_count", 0)
    assert_that(used, greater_than(context.window), response.describe())


@then("the error is llama-server's refusal of a prompt that fills a {window:d}-token window")
def step_refusal(context: Context, window: int) -> None:
    """Ollama's error text is llama-server's exceed_context_size body, naming the window."""
    _check_refusal(context, window)


@then("the error is llama-server's refusal of a prompt that fills the machine's default window")
def step_refusal_default(context: Context) -> None:
    """The same, naming the machine's default window."""
    _check_refusal(context, context.window)


def _check_refusal(context: Context, window: int) -> None:
    response: Exchange = context.response
    refusal = llama_server_refusal(str(response.json().get("error", "")))
    assert_that(refusal, not_none(), response.describe())
    assert refusal is not None
    assert_that(refusal, has_entries(code=400, type="exceed_context_size_error", n_ctx=window), response.describe())
    assert_that(refusal["n_prompt_tokens"], greater_than(window - 1), response.describe())


@then("/api/ps reports the machine's default window for the model")
def step_ps_default(context: Context) -> None:
    """/api/ps's context_length is the VRAM tier's window within the model's own."""
    _check_ps(context, _default_window(context))


@then("/api/ps reports a {window:d}-token window for the model")
def step_ps_window(context: Context, window: int) -> None:
    """/api/ps's context_length is the window the request set."""
    _check_ps(context, window)


def _check_ps(context: Context, window: int) -> None:
    ollama.ok_json(context.response)
    listing = context.ollama.ps()
    wanted = ollama.listed_name(context.settings.model)
    entries = [entry for entry in ollama.ok_json(listing)["models"] if entry["name"] == wanted]
    assert_that(len(entries), equal_to(1), listing.describe())
    assert_that(entries[0].get("context_length"), equal_to(window), listing.describe())
