"""Steps for log probabilities on /api/generate, /api/chat, /v1/chat/completions and /v1/completions.

Example:
    When a client asks /api/chat at temperature 0 for log probabilities with 3 alternatives, streamed
    Then the tokens joined are the answer
    And every chosen token is the likeliest of its alternatives
"""

from __future__ import annotations

from typing import Any

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to

from support import ollama, openai_api
from support.answers import answer_text, chunks_of
from support.http import Exchange
from support.logprobs import carriers, entries_of, entry_problems, greedy_problems, joined_text
from support.ollama import PROMPT

BUDGET = 12
MODES = {"streamed": True, "not streamed": False}


def _native(context: Context, api: str, stream: bool, **extra: Any) -> Exchange:
    model = context.settings.model
    if api == "generate":
        return context.ollama.generate(ollama.generate_body(model, PROMPT, stream=stream, num_predict=BUDGET, **extra))
    return context.ollama.chat(ollama.chat_body(model, [ollama.user(PROMPT)], stream=stream, num_predict=BUDGET, **extra))


@when("a client asks /api/{api} at temperature 0 for log probabilities with {alternatives:d} alternatives, {mode}")
def step_native_logprobs(context: Context, api: str, alternatives: int, mode: str) -> None:
    """A temperature-0 answer with `logprobs: true` and `top_logprobs: N`."""
    context.alternatives = alternatives
    context.response = _native(context, api, MODES[mode], logprobs=True, top_logprobs=alternatives)


@when("a client asks /api/{api} for an answer without log probabilities, {mode}")
def step_native_without_logprobs(context: Context, api: str, mode: str) -> None:
    """A plain answer: neither field sent."""
    context.response = _native(context, api, MODES[mode])


@when("an OpenAI client asks for a chat completion with log probabilities and {alternatives:d} alternatives, {mode}")
def step_openai_chat_logprobs(context: Context, alternatives: int, mode: str) -> None:
    """A temperature-0 chat completion with `logprobs: true` and `top_logprobs: N`."""
    context.alternatives = alternatives
    body = openai_api.chat_completion_body(context.settings.model, PROMPT, stream=MODES[mode], max_tokens=BUDGET,
                                           logprobs=True, top_logprobs=alternatives)
    if MODES[mode]:
        body["stream_options"] = {"include_usage": True}
    context.response = context.openai.chat_completions(body)


@when("an OpenAI client asks for a text completion with log probabilities of {alternatives:d} alternatives")
def step_openai_completion_logprobs(context: Context, alternatives: int) -> None:
    """A /v1/completions request with `logprobs: N`, the legacy API's form."""
    body = openai_api.completion_body(context.settings.model, PROMPT, stream=False, max_tokens=BUDGET, logprobs=alternatives)
    context.response = context.openai.completions(body)


def _entries(context: Context) -> list[dict[str, Any]]:
    response: Exchange = context.response
    assert_that(response.status, equal_to(200), response.describe())
    return entries_of(chunks_of(response))


@then("the tokens joined are the answer")
def step_tokens_join(context: Context) -> None:
    """The chosen tokens' bytes, joined, decode to the answer's text."""
    response: Exchange = context.response
    assert_that(joined_text(_entries(context)), equal_to(answer_text(response)), response.describe(2000))


@then("every token is its own bytes with a log probability of at most 0 and the alternatives asked for, likeliest first")
def step_entries_valid(context: Context) -> None:
    """Ollama's per-entry rules: text, bytes, sign, and the alternatives' count and order."""
    response: Exchange = context.response
    assert_that(entry_problems(_entries(context), context.alternatives), empty(), response.describe(2000))


@then("every chosen token is the likeliest of its alternatives")
def step_greedy(context: Context) -> None:
    """At temperature 0 the first alternative is the token chosen."""
    response: Exchange = context.response
    assert_that(greedy_problems(_entries(context)), empty(), response.describe(2000))


@then("there is one log probability per generated token")
def step_one_per_token(context: Context) -> None:
    """As many entries as the answer's token count (native eval_count, OpenAI completion_tokens)."""
    response: Exchange = context.response
    chunks = chunks_of(response)
    final = next(chunk for chunk in reversed(chunks) if chunk.get("done") or chunk.get("usage"))
    generated = final["usage"]["completion_tokens"] if "usage" in final else final["eval_count"]
    assert_that(len(_entries(context)), equal_to(generated), response.describe(2000))


@then("no chunk carries log probabilities")
def step_no_logprobs(context: Context) -> None:
    """Nothing asked, nothing sent: the field is absent from every chunk."""
    response: Exchange = context.response
    chunks = chunks_of(response)
    assert_that(response.status, equal_to(200), response.describe())
    assert_that(carriers(chunks), equal_to(0), response.describe(2000))
