"""Steps for the context window a /v1 client gets: set on the model, since OpenAI's API has no field for it.

Example:
    Given a copy of the model under test whose Modelfile sets a window of 256 tokens
    When an OpenAI client sends that copy and the model under test a prompt of about 700 tokens
    Then the copy read no more than its window of 512 tokens, and the usage says how many
"""

from __future__ import annotations

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, greater_than, less_than_or_equal_to

from support import ollama, openai_api
from support.http import Exchange

WINDOW_COPY = "window-probe:latest"


def _long_prompt(tokens: int) -> str:
    """Numbered facts, about 17 tokens each, then a question: long enough to pass a small window."""
    facts = " ".join(f"Fact {i}: the number {i} is followed by {i + 1}." for i in range(tokens // 17))
    return f"{facts} What comes after 7?"


@given("a copy of the model under test whose Modelfile sets a window of {window:d} tokens")
def step_window_copy(context: Context, window: int) -> None:
    """/api/create with PARAMETER num_ctx, Ollama's way to give /v1 clients a window; deleted after the scenario."""
    body = {"model": WINDOW_COPY, "from": context.settings.model, "parameters": {"num_ctx": window}, "stream": False}
    created = context.ollama.http.post("/api/create", body)
    context.add_cleanup(context.ollama.http.send, "DELETE", "/api/delete", json_body={"model": WINDOW_COPY})
    ollama.ok_json(created)
    context.window = window


@when("an OpenAI client sends that copy and the model under test a prompt of about {tokens:d} tokens")
def step_long_prompt_both(context: Context, tokens: int) -> None:
    """The same long prompt to the copy and to the model under test."""
    prompt = _long_prompt(tokens)
    context.response = context.openai.chat_completions(openai_api.chat_completion_body(WINDOW_COPY, prompt, stream=False))
    context.unlimited = context.openai.chat_completions(openai_api.chat_completion_body(context.settings.model, prompt, stream=False))


@then("the copy read no more than its window, and the usage says how many, fewer than the model under test read")
def step_window_kept(context: Context) -> None:
    """Prompt and answer fit the copy's window; the model under test read the whole prompt, so the cut is visible."""
    copy: Exchange = context.response
    unlimited: Exchange = context.unlimited
    used = openai_api.usage(copy)
    assert_that(used["prompt_tokens"] + used["completion_tokens"], less_than_or_equal_to(context.window), copy.describe())
    assert_that(openai_api.usage(unlimited)["prompt_tokens"], greater_than(used["prompt_tokens"]), f"{copy.describe()}\n{unlimited.describe()}")
    assert_that(openai_api.usage(unlimited)["prompt_tokens"], greater_than(context.window), unlimited.describe())
