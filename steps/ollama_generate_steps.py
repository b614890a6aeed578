"""Steps for /api/generate: completions, their options, keep_alive, context and structured output.

Example:
    When a client asks for a completion limited to 4 tokens
    Then the response status is 200
    And generation stopped because of "length"
"""

from __future__ import annotations

import json
from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    empty,
    equal_to,
    greater_than,
    has_entries,
    has_key,
    has_length,
    instance_of,
    is_in,
    less_than,
    less_than_or_equal_to,
    not_,
)

from support import ollama
from support.answers import answer_text
from support.framing import NDJSON_CONTENT_TYPE, ndjson_problems, parse_ndjson
from support.http import Exchange
from support.native_rules import qualified_name
from support.ollama import LONG_SYSTEM_PROMPT, PROMPT
from support.shapes import (
    CHAT_CHUNK,
    CHAT_FINAL,
    CHAT_LIFECYCLE,
    GENERATE_CHUNK,
    GENERATE_FINAL,
    GENERATE_LIFECYCLE,
    duration_problems,
    shape_problems,
    stream_problems,
)


def _generate(context: Context, prompt: str = PROMPT, **extra: Any) -> Exchange:
    """A non-streamed completion; ``extra`` adds or replaces request fields such as options."""
    return context.ollama.generate(ollama.generate_body(context.settings.model, prompt, stream=False, **extra))



@when("a client asks for a completion without streaming")
def step_generate(context: Context) -> None:
    """A non-streamed completion."""
    context.response = _generate(context)


@when("a client asks for a completion without saying whether to stream")
def step_generate_default_stream(context: Context) -> None:
    """A completion request without a stream field."""
    body = ollama.generate_body(context.settings.model, PROMPT, stream=True)
    del body["stream"]
    context.response = context.ollama.generate(body)


@then("the response is a final completion object with Ollama's fields")
def step_generate_final_shape(context: Context) -> None:
    """The body is one final generate object."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), GENERATE_FINAL), empty(), response.describe())


@then("the response is a final chat object with Ollama's fields")
def step_chat_final_shape(context: Context) -> None:
    """The body is one final chat object."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), CHAT_FINAL), empty(), response.describe())


@then("the reported durations are nanoseconds consistent with the time the client waited")
def step_durations(context: Context) -> None:
    """Durations are integer nanoseconds no longer than the client's own wait."""
    response: Exchange = context.response
    problems = duration_problems(response.json(), response.elapsed_s)
    assert_that(problems, empty(), response.describe())


@then("the response is an NDJSON stream of completion chunks")
def step_generate_stream_shape(context: Context) -> None:
    """Framed as NDJSON, with generate chunks and a final generate object."""
    response: Exchange = context.response
    assert_that(ndjson_problems(response.body), empty(), response.describe())
    chunks = parse_ndjson(response.body)
    problems = stream_problems(chunks, GENERATE_CHUNK, GENERATE_FINAL)
    assert_that(problems, empty(), response.describe())
    assert_that(response.content_type, equal_to(NDJSON_CONTENT_TYPE), response.describe())


@then("the response is an NDJSON stream of chat chunks")
def step_chat_stream_shape(context: Context) -> None:
    """Framed as NDJSON, with chat chunks and a final chat object."""
    response: Exchange = context.response
    assert_that(ndjson_problems(response.body), empty(), response.describe())
    problems = stream_problems(parse_ndjson(response.body), CHAT_CHUNK, CHAT_FINAL)
    assert_that(problems, empty(), response.describe())
    assert_that(response.content_type, equal_to(NDJSON_CONTENT_TYPE), response.describe())


@when("a client asks for a completion limited to {tokens:d} tokens")
def step_generate_limited(context: Context, tokens: int) -> None:
    """A completion with num_predict set, on a prompt that invites a long answer."""
    context.response = _generate(context, prompt="Write a long story about a dragon.", options=ollama.options(tokens))


@then('generation stopped because of "{reason}"')
def step_done_reason(context: Context, reason: str) -> None:
    """done_reason of the final object."""
    response: Exchange = context.response
    assert_that(response.json().get("done_reason"), equal_to(reason), response.describe())


@then("at most {tokens:d} tokens were generated")
def step_eval_count_at_most(context: Context, tokens: int) -> None:
    """eval_count does not exceed the budget."""
    response: Exchange = context.response
    count = response.json().get("eval_count")
    assert_that(count, less_than_or_equal_to(tokens), response.describe())


@when('a client asks for a completion with and without the unknown option "{name}"')
def step_generate_unknown_option(context: Context, name: str) -> None:
    """The same completion with options that include a key Ollama does not know, and without it."""
    context.responses = [_generate(context, options=ollama.options(8, **{name: 1})), _generate(context, options=ollama.options(8))]


@when("a client asks for a completion with keep_alive {value}")
def step_generate_keep_alive(context: Context, value: str) -> None:
    """A completion whose keep_alive is the given JSON value."""
    context.response = _generate(context, keep_alive=json.loads(value), options=ollama.options(2))


@when("a client asks twice for the same completion at temperature 0")
def step_generate_twice(context: Context) -> None:
    """Two identical deterministic completions."""
    context.responses = [_generate(context), _generate(context)]


@then("both answers are identical")
def step_same_answers(context: Context) -> None:
    """The two completions' text is the same."""
    first, second = context.responses
    texts = [ollama.ok_json(first)["response"], ollama.ok_json(second)["response"]]
    assert_that(texts[1], equal_to(texts[0]), f"{first.describe()}\n{second.describe()}")


@when("a client asks for the same completion plainly, with a system prompt and with a bare template")
def step_generate_templates(context: Context) -> None:
    """The same prompt three ways: default template, plus a system prompt, and a bare template."""
    context.responses = [
        _generate(context, options=ollama.options(1)),
        _generate(
            context,
            options=ollama.options(1),
            system=LONG_SYSTEM_PROMPT,
        ),
        _generate(context, options=ollama.options(1), template="{{ .Prompt }}"),
    ]


@then("the system prompt adds prompt tokens")
def step_system_adds_tokens(context: Context) -> None:
    """More prompt tokens with a system prompt than without."""
    plain, with_system, _ = context.responses
    assert_that(
        ollama.prompt_tokens(with_system),
        greater_than(ollama.prompt_tokens(plain)),
        f"{plain.describe()}\n{with_system.describe()}",
    )


@then("the bare template removes prompt tokens")
def step_template_removes_tokens(context: Context) -> None:
    """Fewer prompt tokens with a bare template than with the chat template."""
    plain, _, bare = context.responses
    assert_that(
        ollama.prompt_tokens(bare),
        less_than(ollama.prompt_tokens(plain)),
        f"{plain.describe()}\n{bare.describe()}",
    )


@when("a client asks for a raw completion")
def step_generate_raw(context: Context) -> None:
    """A completion with raw mode on."""
    context.response = _generate(context, raw=True, options=ollama.options(4))


@then("the final object carries no context")
def step_no_context(context: Context) -> None:
    """The context field is absent."""
    response: Exchange = context.response
    context_sent = "context" in response.json()
    assert_that(context_sent, equal_to(False), f"context should be absent\n{response.describe()}")


@given("a first completion has returned its context")
def step_first_context(context: Context) -> None:
    """Keep the context of a first completion."""
    body = ollama.ok_json(_generate(context, prompt="My name is Ada.", options=ollama.options(4)))
    assert_that(body, has_key("context"), json.dumps(body))
    context.first_context = body["context"]


@when("a client sends a follow-up prompt with that context")
def step_follow_up(context: Context) -> None:
    """A completion that passes the earlier context back."""
    body = ollama.generate_body(context.settings.model, "What is my name?", stream=False, num_predict=4, context=context.first_context)
    context.response = context.ollama.generate(body)


@then("the follow-up returns a longer context than the first completion")
def step_longer_context(context: Context) -> None:
    """The returned context includes the earlier one and grows."""
    response: Exchange = context.response
    new_context = response.json().get("context", [])
    assert_that(len(new_context), greater_than(len(context.first_context)), response.describe())


@when("a client sends an empty prompt")
def step_empty_prompt(context: Context) -> None:
    """A completion request with an empty prompt, streamed by default."""
    context.response = context.ollama.generate({"model": context.settings.model, "prompt": ""})


@when("a client unloads the model with keep_alive 0")
def step_unload(context: Context) -> None:
    """An empty prompt with keep_alive 0."""
    context.response = context.ollama.generate({"model": context.settings.model, "prompt": "", "keep_alive": 0})


@then('the response is a single "{reason}" object without metrics')
def step_lifecycle_object(context: Context, reason: str) -> None:
    """One JSON object with the given done_reason and no metrics, even when streaming."""
    response: Exchange = context.response
    lines = [line for line in response.body.split(b"\n") if line.strip()]
    assert_that(lines, has_length(1), response.describe())
    body = json.loads(lines[0])
    shape = CHAT_LIFECYCLE if response.request.path == "/api/chat" else GENERATE_LIFECYCLE
    assert_that(shape_problems(body, shape), empty(), response.describe())
    assert_that(body.get("done_reason"), equal_to(reason), response.describe())


FORMATS: dict[str, Any] = {
    "JSON mode": "json",
    "a JSON schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "color": {"type": "string"}},
        "required": ["name", "color"],
    },
}
JSON_PROMPT = "Describe a cat as a JSON object with the keys name and color."
JSON_KEYS = ("name", "color")
# Enough tokens for the small object the prompt asks for, so constrained output can close.
JSON_BUDGET = 64


@when("a client asks for a completion in {format_name}")
def step_generate_json(context: Context, format_name: str) -> None:
    """A completion constrained by the named format."""
    context.response = _generate(context, prompt=JSON_PROMPT, format=FORMATS[format_name], options=ollama.options(JSON_BUDGET))


@when("a client chats in JSON mode")
def step_chat_json(context: Context) -> None:
    """A chat constrained to JSON."""
    body = ollama.chat_body(context.settings.model, [ollama.user(JSON_PROMPT)], stream=False, format="json",
                            options=ollama.options(JSON_BUDGET))
    context.response = context.ollama.chat(body)


@then("the answer is a JSON document with the keys the prompt asked for")
def step_answer_is_json(context: Context) -> None:
    """The answer text parses as a JSON object holding the requested keys."""
    response: Exchange = context.response
    try:
        document = json.loads(answer_text(response))
    except ValueError as error:
        raise AssertionError(f"the answer is not JSON ({error}):\n{response.describe()}") from error
    assert_that(document, has_entries({key: instance_of(str) for key in JSON_KEYS}), response.describe())


# -- Refusals ------------------------------------------------------------------------------


@when("a client asks for a completion with think set to {value}")
def step_generate_think(context: Context, value: str) -> None:
    """A completion whose think field is the given JSON value."""
    context.response = _generate(context, think=json.loads(value), options=ollama.options(2))


@when("a client asks for a completion with a suffix to fill in the middle")
def step_generate_suffix(context: Context) -> None:
    """A completion with a suffix, which needs the insert capability."""
    context.response = _generate(context, prompt="def add(a, b):", suffix="    return result", options=ollama.options(4))


@then('the error names the model as sent and says "{text}"')
def step_error_model_as_sent(context: Context, text: str) -> None:
    """Ollama's capability error: the model as sent, Go-quoted, then the text."""
    response: Exchange = context.response
    sent = json.loads(response.request.body)["model"]
    assert_that(response.json().get("error"), equal_to(f"{json.dumps(sent)} {text}"), response.describe())


@then('the error names the model in full and says "{text}"')
def step_error_model_qualified(context: Context, text: str) -> None:
    """Ollama's capability error: host, namespace, model and tag, then the text."""
    response: Exchange = context.response
    sent = json.loads(response.request.body)["model"]
    assert_that(response.json().get("error"), equal_to(f"{qualified_name(sent)} {text}"), response.describe())


# -- Small context windows -----------------------------------------------------------------

BUDGET_WINDOWS = 10
"""Ollama bounds a generation without a budget at ten context windows (boundedNumPredict)."""


@when("a client asks for a count to a thousand without a token budget in a {window:d}-token context window")
def step_generate_past_window(context: Context, window: int) -> None:
    """A completion with num_ctx set, no num_predict, on a prompt the model does not end on its own: at temperature 0
    SmolLM2 counts on past ten windows, so only Ollama's bound ends it (a story ended by itself at 256 tokens)."""
    context.context_window = window
    options = {**ollama.DETERMINISTIC, "num_ctx": window}
    context.response = _generate(context, prompt="Count from 1 to 1000, separated by commas: 1, 2, 3,", options=options)


@then("the answer ends normally within ten context windows")
def step_ends_within_windows(context: Context) -> None:
    """done with a stop or length reason, some text, and no more tokens than ten windows."""
    response: Exchange = context.response
    final = ollama.ok_json(response)
    assert_that(str(final.get("done_reason")), is_in(["stop", "length"]), response.describe())
    assert_that(answer_text(response), not_(equal_to("")), response.describe())
    assert_that(final.get("eval_count", 0), less_than_or_equal_to(BUDGET_WINDOWS * context.context_window), response.describe())
