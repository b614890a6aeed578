"""Steps for Anthropic's Messages API (/v1/messages), checked against /api/chat for the same messages.

Example:
    When an Anthropic client sends a question with a system prompt as text blocks
    Then the response status is 200
    And the prompt reads more tokens than the question alone
"""

from __future__ import annotations

import json
from typing import Any

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, empty, equal_to, has_entries, has_length, is_not

from support import anthropic_api, ollama
from support.anthropic_api import AnthropicClient
from support.compat import BUDGET, EARLIER, FOLLOW_UP, QUESTION, TOOL_INSTRUCTIONS, TOOL_RESULT, native_twin
from support.http import Exchange
from support.ollama import LONG_SYSTEM_PROMPT
from support.openai_api import stop_text_in
from support.responses_api import collapsed, events
from support.shapes import shape_problems

USUAL_TOKENS = 16


def _client(context: Context) -> AnthropicClient:
    return AnthropicClient(context.openai.http)


def _send(context: Context, messages: list[tuple[str, str]], body: dict[str, Any], budget: int = BUDGET, query: str = "") -> None:
    """Send a Messages request and note the native messages it stands for, for the comparison with /api/chat."""
    context.native_messages = [{"role": role, "content": text} for role, text in messages]
    context.native_budget = budget
    context.native_exchange = None
    context.response = _client(context).create(body, query)


def _describe(*exchanges: Exchange) -> str:
    return "\n".join(exchange.describe() for exchange in exchanges)


def _body(context: Context, turns: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return anthropic_api.message_body(context.settings.model, [{"role": role, "content": text} for role, text in turns], **extra)


# -- Questions, system prompts and conversations ----------------------------------------------


@when("an Anthropic client sends a question")
def step_question(context: Context) -> None:
    """One user message with string content."""
    _send(context, [("user", QUESTION)], _body(context, [("user", QUESTION)]))


@when("an Anthropic client sends a question with a system prompt as text blocks")
def step_question_with_system(context: Context) -> None:
    """`system` as two text blocks, which Ollama joins with no separator."""
    half = len(LONG_SYSTEM_PROMPT) // 2
    blocks = [{"type": "text", "text": LONG_SYSTEM_PROMPT[:half]}, {"type": "text", "text": LONG_SYSTEM_PROMPT[half:], "cache_control": {"type": "ephemeral"}}]
    _send(context, [("system", LONG_SYSTEM_PROMPT), ("user", QUESTION)], _body(context, [("user", QUESTION)], system=blocks))


@when("an Anthropic client sends an earlier exchange and a follow-up question as content blocks")
def step_conversation(context: Context) -> None:
    """Each turn's content as one text block."""
    turns = [*EARLIER, ("user", FOLLOW_UP)]
    messages = [{"role": role, "content": [{"type": "text", "text": text}]} for role, text in turns]
    _send(context, turns, anthropic_api.message_body(context.settings.model, messages))


@when("an Anthropic client asks for a long answer limited to {tokens:d} tokens")
def step_limited(context: Context, tokens: int) -> None:
    """A prompt that invites a long answer, with a small max_tokens."""
    prompt = "Write a long story about a dragon."
    _send(context, [("user", prompt)], _body(context, [("user", prompt)], max_tokens=tokens), tokens)


@when("an Anthropic client asks a question that stops at a word of its usual answer")
def step_stop_sequence(context: Context) -> None:
    """The usual answer at temperature 0, then the same request with a word from its middle in stop_sequences."""
    body = _body(context, [("user", QUESTION)], max_tokens=USUAL_TOKENS)
    context.usual = _client(context).create(body)
    context.stop_word = stop_text_in(anthropic_api.text_of(anthropic_api.ok(context.usual)))
    context.response = _client(context).create({**body, "stop_sequences": [context.stop_word]})


@when("an Anthropic client sends a question with the query the SDK's beta calls add")
def step_beta_query(context: Context) -> None:
    """POST /v1/messages?beta=true."""
    _send(context, [("user", QUESTION)], _body(context, [("user", QUESTION)]), query="?beta=true")


@then("the response has the fields of an Anthropic message")
def step_message_shape(context: Context) -> None:
    """The body matches Anthropic's message object."""
    response: Exchange = context.response
    assert_that(shape_problems(anthropic_api.ok(response), anthropic_api.MESSAGE), empty(), response.describe())


@then("the message's text is not empty")
def step_text_not_empty(context: Context) -> None:
    """The text blocks carry some text."""
    response: Exchange = context.response
    assert_that(anthropic_api.text_of(anthropic_api.ok(response)).strip(), is_not(equal_to("")), response.describe())


@then('the stop reason is "{reason}"')
def step_stop_reason(context: Context, reason: str) -> None:
    """The message's stop_reason."""
    response: Exchange = context.response
    assert_that(anthropic_api.ok(response).get("stop_reason"), equal_to(reason), response.describe())


@then("the message is the usual answer cut just before that word")
def step_cut_before_stop(context: Context) -> None:
    """The stopped answer is the usual one up to the stop word, without it."""
    usual = anthropic_api.text_of(anthropic_api.ok(context.usual))
    stopped = anthropic_api.text_of(anthropic_api.ok(context.response))
    assert_that(stopped.strip(), equal_to(usual[: usual.index(context.stop_word)].strip()), _describe(context.usual, context.response))


# -- Tools ------------------------------------------------------------------------------------


@when("an Anthropic client offers a weather tool, asks for the weather in Paris and sends the tool's result back")
def step_tool_round_trip(context: Context) -> None:
    """The tool_use, then the conversation with it and a tool_result block, on the capable model."""
    model = context.needs.capable_model
    question = anthropic_api.user("What is the weather in Paris?")
    settings = {"tools": [anthropic_api.WEATHER_TOOL], "system": TOOL_INSTRUCTIONS}
    first = _client(context).create(anthropic_api.message_body(model, [question], max_tokens=48, **settings))
    context.tool_call = first
    uses = anthropic_api.tool_uses(anthropic_api.ok(first))
    assert_that(uses, has_length(1), f"expected one tool_use block\n{first.describe()}")
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": uses[0]["id"], "content": TOOL_RESULT}]}
    messages = [question, {"role": "assistant", "content": anthropic_api.ok(first)["content"]}, result]
    context.response = _client(context).create(anthropic_api.message_body(model, messages, max_tokens=32, **settings))


@then("the first message called the weather tool for Paris, with the stop reason tool_use")
def step_called_tool(context: Context) -> None:
    """One tool_use block naming the tool with the city in its input, and stop_reason tool_use."""
    first: Exchange = context.tool_call
    message = anthropic_api.ok(first)
    use = anthropic_api.tool_uses(message)[0]
    assert_that(use, has_entries(name=anthropic_api.WEATHER_TOOL["name"]), first.describe())
    assert_that(str(use.get("input", {}).get("city", "")), contains_string("Paris"), first.describe())
    assert_that(message.get("stop_reason"), equal_to("tool_use"), first.describe())


@then("the final message reports the tool's result")
def step_final_uses_result(context: Context) -> None:
    """The answer after the tool_result carries the temperature the tool gave."""
    response: Exchange = context.response
    assert_that(anthropic_api.text_of(anthropic_api.ok(response)), contains_string("31"), response.describe())


# -- Streaming --------------------------------------------------------------------------------


@when("an Anthropic client streams a question and asks it again without streaming")
def step_stream_and_whole(context: Context) -> None:
    """The same temperature-0 request with stream true, then without."""
    body = _body(context, [("user", QUESTION)])
    _send(context, [("user", QUESTION)], body)
    context.streamed = _client(context).create({**body, "stream": True})


@then("the Anthropic events come in order, each named as its type")
def step_event_order(context: Context) -> None:
    """message_start, the text block's start, deltas and stop, message_delta, message_stop."""
    streamed: Exchange = context.streamed
    found = events(streamed)
    mismatched = [(name, data.get("type")) for name, data in found if name != data.get("type")]
    assert_that(mismatched, empty(), streamed.describe())
    names = collapsed([name for name, _ in found], "content_block_delta")
    assert_that(names, equal_to(list(anthropic_api.TEXT_EVENTS)), streamed.describe(2000))


@then("the text block starts with an empty text the SDKs append to")
def step_block_start(context: Context) -> None:
    """content_block_start carries {"type": "text", "text": ""}: the SDKs add each delta to that key."""
    streamed: Exchange = context.streamed
    starts = [data for name, data in events(streamed) if name == "content_block_start"]
    assert_that([start.get("content_block") for start in starts], equal_to([{"type": "text", "text": ""}]), streamed.describe(2000))


@then("the streamed text joins into the message given without streaming")
def step_joined_text(context: Context) -> None:
    """The text deltas equal the non-streamed text."""
    streamed: Exchange = context.streamed
    whole = anthropic_api.text_of(anthropic_api.ok(context.response))
    deltas = "".join(data["delta"].get("text", "") for name, data in events(streamed) if name == "content_block_delta")
    assert_that(deltas, equal_to(whole), _describe(streamed, context.response))


@then("message_delta carries the stop reason and the usage /api/chat counts for the same messages")
def step_streamed_usage(context: Context) -> None:
    """message_delta's stop_reason equals the non-streamed one, its usage /api/chat's counts."""
    streamed: Exchange = context.streamed
    native = native_twin(context.ollama, context.settings.model, context.native_messages, context.native_budget)
    delta = dict(events(streamed)).get("message_delta", {})
    final = ollama.ok_json(native)
    described = _describe(streamed, native)
    assert_that(delta.get("delta", {}).get("stop_reason"), equal_to(anthropic_api.ok(context.response).get("stop_reason")), described)
    assert_that(delta.get("usage", {}).get("input_tokens"), equal_to(final.get("prompt_eval_count")), described)
    assert_that(delta.get("usage", {}).get("output_tokens"), equal_to(final.get("eval_count")), described)


# -- Token counting, compressed bodies and bad requests ---------------------------------------


@when("an Anthropic client counts the tokens of a question with a system prompt, then sends it")
def step_count_then_send(context: Context) -> None:
    """POST /v1/messages/count_tokens, then /v1/messages with the same system and messages."""
    body = _body(context, [("user", QUESTION)], system=LONG_SYSTEM_PROMPT)
    context.counted = _client(context).count_tokens({key: body[key] for key in ("model", "messages", "system")})
    context.response = _client(context).create(body)


@then("the count is the input tokens the message's usage reports")
def step_count_matches(context: Context) -> None:
    """count_tokens' input_tokens equals the message's usage.input_tokens."""
    counted: Exchange = context.counted
    expected = anthropic_api.ok(context.response)["usage"]["input_tokens"]
    assert_that(anthropic_api.ok(counted), equal_to({"input_tokens": expected}), _describe(counted, context.response))


@when("an Anthropic client sends a question compressed with zstd, and the same question plainly")
def step_zstd(context: Context) -> None:
    """The body compressed, then uncompressed."""
    body = _body(context, [("user", QUESTION)])
    context.response = _client(context).create_compressed(body)
    context.plain = _client(context).create(body)


@then("the compressed message gets the plain message's answer")
def step_zstd_same(context: Context) -> None:
    """Both answered 200 with the same text at temperature 0."""
    response: Exchange = context.response
    expected = anthropic_api.text_of(anthropic_api.ok(context.plain))
    assert_that(anthropic_api.text_of(anthropic_api.ok(response)), equal_to(expected), _describe(response, context.plain))


@when("an Anthropic client sends {request}")
def step_bad_request(context: Context, request: str) -> None:
    """The named bad request, built for the model under test."""
    context.response = _client(context).create(anthropic_api.bad_request(request, context.settings.model))


@when("an Anthropic client counts the tokens of a message for an unknown model")
def step_count_unknown(context: Context) -> None:
    """count_tokens naming a model that is not installed."""
    context.response = _client(context).count_tokens({"model": "no-such-model", "messages": [anthropic_api.user("Hello")]})


@then('the response is an Anthropic error of type "{kind}" saying "{message}"')
def step_anthropic_error(context: Context, kind: str, message: str) -> None:
    """The body is Anthropic's error envelope with this type and message."""
    response: Exchange = context.response
    body = response.json()
    assert_that(shape_problems(body, anthropic_api.ERROR), empty(), response.describe())
    assert_that(body["error"], equal_to({"type": kind, "message": message}), response.describe())
    assert_that(json.dumps(body["request_id"]), contains_string("req_"), response.describe())
