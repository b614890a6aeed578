"""Steps for streams: NDJSON and SSE framing, stream content, and arrival times.

Example:
    When a client streams a chat
    Then every line is one JSON object, with no blank lines
    And only the last chunk is marked done, with a reason and metrics
"""

from __future__ import annotations

from typing import Any

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    empty,
    equal_to,
    greater_than_or_equal_to,
    has_key,
    has_length,
    only_contains,
)
from parse_type import TypeBuilder

from support import ollama, openai_api
from support.answers import answer_text, chunks_of
from support.framing import ndjson_problems, parse_sse_json, sse_problems
from support.http import Exchange
from support.shapes import (
    CHAT_CHUNK,
    CHAT_COMPLETION_CHUNK,
    CHAT_FINAL,
    COMPLETION_CHUNK,
    GENERATE_CHUNK,
    GENERATE_FINAL,
    shape_problems,
    stream_problems,
)

PROMPT = "Why is the sky blue?"
LONG_PROMPT = "Write a long story about a dragon."
ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}

register_type(
    NativeAnswer=TypeBuilder.make_choice(["completion", "chat"]),
    Api=TypeBuilder.make_choice(["native", "OpenAI"]),
)


def _native_request(context: Context, kind: str, stream: bool) -> Exchange:
    model = context.settings.model
    if kind == "chat":
        body = ollama.chat_body(model, [ollama.user(PROMPT)], stream=stream)
        return context.ollama.chat(body)
    return context.ollama.generate(ollama.generate_body(model, PROMPT, stream=stream))


def _sse_chunks(exchange: Exchange) -> list[dict[str, Any]]:
    assert_that(sse_problems(exchange.body), empty(), exchange.describe())
    return parse_sse_json(exchange.body)


# -- NDJSON ---------------------------------------------------------------------------------


@when("a client streams a {kind:NativeAnswer}")
def step_stream_native(context: Context, kind: str) -> None:
    """A streamed completion or chat on the native API."""
    context.response = _native_request(context, kind, stream=True)


@then("every line is one JSON object, with no blank lines")
def step_ndjson_framing(context: Context) -> None:
    """NDJSON framing: each newline-terminated line is one JSON object."""
    response: Exchange = context.response
    assert_that(ndjson_problems(response.body), empty(), response.describe())


@then("only the last chunk is marked done, with a reason and metrics")
def step_native_stream_chunks(context: Context) -> None:
    """Chunk shapes: done false and no metrics until the final chunk."""
    response: Exchange = context.response
    chat = response.request.path == "/api/chat"
    chunk, final = (CHAT_CHUNK, CHAT_FINAL) if chat else (GENERATE_CHUNK, GENERATE_FINAL)
    problems = stream_problems(chunks_of(response), chunk, final)
    assert_that(problems, empty(), response.describe())


@when("a client asks for the same {kind:NativeAnswer} streamed and not streamed at temperature 0")
def step_native_both_ways(context: Context, kind: str) -> None:
    """The same deterministic request, streamed and then not."""
    context.responses = [
        _native_request(context, kind, stream=True),
        _native_request(context, kind, stream=False),
    ]


@then("the joined stream equals the non-streamed answer")
def step_joined_equals(context: Context) -> None:
    """Concatenating the streamed pieces gives the non-streamed text."""
    streamed, whole = context.responses
    assert_that(
        answer_text(streamed),
        equal_to(answer_text(whole)),
        f"{streamed.describe()}\n{whole.describe()}",
    )


@then("both report the same number of generated tokens")
def step_same_eval_count(context: Context) -> None:
    """eval_count of the final chunk equals that of the non-streamed answer."""
    streamed, whole = context.responses
    counts = [chunks_of(streamed)[-1].get("eval_count"), whole.json().get("eval_count")]
    assert_that(counts[0], equal_to(counts[1]), f"{streamed.describe()}\n{whole.describe()}")


# -- SSE ------------------------------------------------------------------------------------


def _chat_completion(context: Context, stream: bool, **extra: Any) -> Exchange:
    body = openai_api.chat_completion_body(context.settings.model, PROMPT, stream=stream, **extra)
    return context.openai.chat_completions(body)


@when("an OpenAI client streams a chat completion")
def step_stream_chat_completion(context: Context) -> None:
    """A streamed chat completion."""
    context.response = _chat_completion(context, stream=True)


@when("an OpenAI client streams a chat completion including usage")
def step_stream_chat_completion_usage(context: Context) -> None:
    """A streamed chat completion with stream_options.include_usage."""
    context.response = _chat_completion(context, stream=True, stream_options={"include_usage": True})


@when("an OpenAI client streams a chat completion limited to {tokens:d} tokens")
def step_stream_chat_completion_limited(context: Context, tokens: int) -> None:
    """A streamed chat completion that max_tokens cuts short."""
    context.response = _chat_completion(context, stream=True, max_tokens=tokens)


@when("an OpenAI client asks for the same chat completion streamed and not streamed")
def step_chat_completion_both_ways(context: Context) -> None:
    """The same deterministic chat completion, streamed and then not."""
    context.responses = [
        _chat_completion(context, stream=True),
        _chat_completion(context, stream=False),
    ]


@when("an OpenAI client streams a text completion")
def step_stream_completion(context: Context) -> None:
    """A streamed legacy completion."""
    body = openai_api.completion_body(context.settings.model, PROMPT, stream=True)
    context.response = context.openai.completions(body)


@when("an OpenAI client streams a text completion including usage")
def step_stream_completion_usage(context: Context) -> None:
    """A streamed legacy completion with stream_options.include_usage."""
    body = openai_api.completion_body(context.settings.model, PROMPT, stream=True, stream_options={"include_usage": True})
    context.response = context.openai.completions(body)


@then("every event is a data line with a JSON chunk, and the stream ends with [DONE]")
def step_sse_framing(context: Context) -> None:
    """SSE framing as OpenAI sends it."""
    response: Exchange = context.response
    assert_that(sse_problems(response.body), empty(), response.describe())


@then("every chunk has the fields of a chat completion chunk")
def step_chat_chunk_shapes(context: Context) -> None:
    """Each chunk matches the chat completion chunk shape and shares id and created."""
    response: Exchange = context.response
    chunks = _sse_chunks(response)
    problems = [p for chunk in chunks for p in shape_problems(chunk, CHAT_COMPLETION_CHUNK)]
    assert_that(problems, empty(), response.describe())
    assert_that({(c["id"], c["created"]) for c in chunks}, has_length(1), response.describe())


@then("every chunk has the fields of a text completion chunk")
def step_completion_chunk_shapes(context: Context) -> None:
    """Each chunk matches the legacy completion chunk shape."""
    response: Exchange = context.response
    chunks = _sse_chunks(response)
    problems = [p for chunk in chunks for p in shape_problems(chunk, COMPLETION_CHUNK)]
    assert_that(problems, empty(), response.describe())


@then("only the first chunk names the role")
def step_role_first_only(context: Context) -> None:
    """delta.role is "assistant" in the first chunk and absent afterwards."""
    response: Exchange = context.response
    deltas = [chunk["choices"][0]["delta"] for chunk in _sse_chunks(response) if chunk["choices"]]
    assert_that(deltas[0].get("role"), equal_to("assistant"), response.describe())
    later_roles = [delta["role"] for delta in deltas[1:] if "role" in delta]
    assert_that(later_roles, empty(), response.describe())


@then("a separate chunk with an empty delta gives the finish reason")
def step_finish_chunk(context: Context) -> None:
    """Exactly one chunk has a finish reason, and its delta is empty."""
    response: Exchange = context.response
    choices = [chunk["choices"][0] for chunk in _sse_chunks(response) if chunk["choices"]]
    finished = [choice for choice in choices if choice.get("finish_reason") is not None]
    assert_that(finished, has_length(1), response.describe())
    assert_that(finished[0]["delta"], equal_to({}), response.describe())
    assert_that(choices[-1], equal_to(finished[0]), response.describe())


@then('the finish chunk gives the reason "{reason}"')
def step_finish_reason(context: Context, reason: str) -> None:
    """The one chunk with a finish reason gives this one."""
    response: Exchange = context.response
    choices = [chunk["choices"][0] for chunk in _sse_chunks(response) if chunk["choices"]]
    reasons = [choice["finish_reason"] for choice in choices if choice.get("finish_reason") is not None]
    assert_that(reasons, equal_to([reason]), response.describe())


@then("the chunk before [DONE] has no choices and carries the usage")
def step_usage_chunk(context: Context) -> None:
    """The last JSON chunk is the usage chunk."""
    response: Exchange = context.response
    last = _sse_chunks(response)[-1]
    assert_that(last["choices"], equal_to([]), response.describe())
    assert_that(last, has_key("usage"), response.describe())
    usage = last["usage"]
    assert_that(usage["total_tokens"], greater_than_or_equal_to(1), response.describe())


@then("no other chunk carries usage")
def step_usage_only_last(context: Context) -> None:
    """Content chunks omit usage entirely rather than sending null."""
    response: Exchange = context.response
    for chunk in _sse_chunks(response)[:-1]:
        assert_that("usage" in chunk, equal_to(False), f"usage in a content chunk\n{response.describe()}")


@then("every other chunk carries a usage of zero tokens")
def step_zero_usage_before_last(context: Context) -> None:
    """Legacy completion chunks carry a zeroed usage, as Ollama sends them, until the usage chunk."""
    response: Exchange = context.response
    usages = [chunk.get("usage") for chunk in _sse_chunks(response)[:-1]]
    # only_contains also refuses an empty list: a stream of nothing but the usage chunk has no chunk to check.
    assert_that(usages, only_contains(equal_to(ZERO_USAGE)), response.describe())


# -- Arrival times --------------------------------------------------------------------------


@when("a client streams a {tokens:d}-token answer from the {api:Api} API")
def step_stream_timed(context: Context, tokens: int, api: str) -> None:
    """A streamed answer long enough for its timing to show."""
    model = context.settings.model
    if api == "native":
        body = ollama.generate_body(model, LONG_PROMPT, stream=True, num_predict=tokens)
        context.response = context.ollama.generate(body)
    else:
        body = openai_api.chat_completion_body(model, LONG_PROMPT, stream=True, max_tokens=tokens)
        context.response = context.openai.chat_completions(body)


@then("at least half of the chunks arrived separately")
def step_chunks_separate(context: Context) -> None:
    """Chunks arrived at many distinct moments, not in one burst."""
    response: Exchange = context.response
    chunks = len(chunks_of(response))
    moments = response.arrival_moments()
    assert_that(moments * 2, greater_than_or_equal_to(chunks), f"{chunks} chunks arrived at {moments} moments\n{response.describe()}")
