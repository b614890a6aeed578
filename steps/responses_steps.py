"""Steps for OpenAI's Responses API (/v1/responses), checked against /api/chat for the same messages.

Example:
    When a Responses client streams a question and asks it again without streaming
    Then the sequence numbers run from 0 without a gap
"""

from __future__ import annotations

import json
from typing import Any

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, empty, equal_to, has_length, is_not

from support import ollama, responses_api
from support.compat import BUDGET, EARLIER, FOLLOW_UP, QUESTION, TOOL_INSTRUCTIONS, TOOL_RESULT, native_twin
from support.http import Exchange
from support.ollama import LONG_SYSTEM_PROMPT
from support.openai_api import JSON_PROMPT, JSON_SCHEMA, JSON_TOKENS, schema_problems
from support.responses_api import ResponsesClient
from support.shapes import shape_problems


def _client(context: Context) -> ResponsesClient:
    return ResponsesClient(context.openai.http)


def _send(context: Context, messages: list[tuple[str, str]], body: dict[str, Any], budget: int = BUDGET) -> None:
    """Send a Responses request and note the native messages it stands for, for the comparison with /api/chat."""
    context.native_messages = [{"role": role, "content": text} for role, text in messages]
    context.native_budget = budget
    context.native_exchange = None
    context.response = _client(context).create(body)


def _describe(*exchanges: Exchange) -> str:
    return "\n".join(exchange.describe() for exchange in exchanges)


# -- Questions, instructions and conversations ------------------------------------------------


@when("a Responses client sends a question as text")
def step_question_as_text(context: Context) -> None:
    """`input` as a plain string."""
    _send(context, [("user", QUESTION)], responses_api.response_body(context.settings.model, QUESTION))


@when("a Responses client sends a question with instructions")
def step_question_with_instructions(context: Context) -> None:
    """`instructions` beside the question; it stands for a system message."""
    body = responses_api.response_body(context.settings.model, QUESTION, instructions=LONG_SYSTEM_PROMPT)
    _send(context, [("system", LONG_SYSTEM_PROMPT), ("user", QUESTION)], body)


@when("a Responses client sends an earlier exchange and a follow-up question as input items")
def step_conversation_items(context: Context) -> None:
    """Message items for a user turn, the assistant's reply and the follow-up."""
    turns = [*EARLIER, ("user", FOLLOW_UP)]
    items = [responses_api.message_item(role, text) for role, text in turns]
    _send(context, turns, responses_api.response_body(context.settings.model, items))


@when("a Responses client sends a question naming a previous response")
def step_previous_response(context: Context) -> None:
    """The question with a previous_response_id, which a stateless server cannot recall."""
    body = responses_api.response_body(context.settings.model, FOLLOW_UP, previous_response_id="resp_123456")
    _send(context, [("user", FOLLOW_UP)], body)


@when("a Responses client asks for a long answer limited to {tokens:d} output tokens")
def step_limited(context: Context, tokens: int) -> None:
    """A prompt that invites a long answer, with max_output_tokens."""
    prompt = "Write a long story about a dragon."
    _send(context, [("user", prompt)], responses_api.response_body(context.settings.model, prompt, max_output_tokens=tokens), tokens)


@when("a Responses client asks for JSON held to a schema by text.format")
def step_json_schema(context: Context) -> None:
    """text.format of type json_schema carrying the schema."""
    text = {"format": {"type": "json_schema", "name": "sky", "schema": JSON_SCHEMA, "strict": True}}
    body = responses_api.response_body(context.settings.model, JSON_PROMPT, max_output_tokens=JSON_TOKENS, text=text)
    _send(context, [("user", JSON_PROMPT)], body, JSON_TOKENS)


@then("the response has the fields of a Responses response")
def step_response_shape(context: Context) -> None:
    """The body matches the response object as Ollama sends it."""
    response: Exchange = context.response
    assert_that(shape_problems(responses_api.ok(response), responses_api.RESPONSE), empty(), response.describe())


@then("the response's text is not empty")
def step_text_not_empty(context: Context) -> None:
    """output_text, as the SDKs join it, has some text."""
    response: Exchange = context.response
    assert_that(responses_api.output_text(responses_api.ok(response)).strip(), is_not(equal_to("")), response.describe())


@then('the response\'s status field is "{status}"')
def step_status_field(context: Context, status: str) -> None:
    """The response object's own status."""
    response: Exchange = context.response
    assert_that(responses_api.ok(response)["status"], equal_to(status), response.describe())


@then("the response's text is JSON valid against that schema")
def step_text_valid_json(context: Context) -> None:
    """output_text parses, and the schema finds nothing wrong with it."""
    response: Exchange = context.response
    text = responses_api.output_text(responses_api.ok(response))
    try:
        value = json.loads(text)
    except ValueError as error:
        raise AssertionError(f"the answer is not JSON ({error}): {text!r}\n{response.describe()}") from None
    assert_that(schema_problems(value, JSON_SCHEMA), empty(), response.describe())


# -- Tools ------------------------------------------------------------------------------------


@when("a Responses client offers a weather tool, asks for the weather in Paris and sends the tool's result back")
def step_tool_round_trip(context: Context) -> None:
    """The call, then the conversation with the function_call and its function_call_output, on the capable model."""
    model = context.needs.capable_model
    question = responses_api.message_item("user", "What is the weather in Paris?")
    settings = {"tools": [responses_api.WEATHER_TOOL], "instructions": TOOL_INSTRUCTIONS}
    first = _client(context).create(responses_api.response_body(model, [question], max_output_tokens=48, **settings))
    context.tool_call = first
    calls = responses_api.function_calls(responses_api.ok(first))
    assert_that(calls, has_length(1), f"expected one function_call\n{first.describe()}")
    call = calls[0]
    result = {"type": "function_call_output", "call_id": call["call_id"], "output": TOOL_RESULT}
    items = [question, {"type": "function_call", "call_id": call["call_id"], "name": call["name"], "arguments": call["arguments"]}, result]
    context.response = _client(context).create(responses_api.response_body(model, items, max_output_tokens=32, **settings))


@then("the first response called the weather tool for Paris")
def step_called_tool(context: Context) -> None:
    """One function_call item naming the tool, with arguments that parse to the city."""
    first: Exchange = context.tool_call
    call = responses_api.function_calls(responses_api.ok(first))[0]
    assert_that(call["name"], equal_to(responses_api.WEATHER_TOOL["name"]), first.describe())
    assert_that(json.loads(call["arguments"]).get("city", ""), contains_string("Paris"), first.describe())


@then("the final answer reports the tool's result")
def step_final_uses_result(context: Context) -> None:
    """The answer after the function_call_output carries the temperature the tool gave."""
    response: Exchange = context.response
    assert_that(responses_api.output_text(responses_api.ok(response)), contains_string("31"), response.describe())


# -- Streaming --------------------------------------------------------------------------------


@when("a Responses client streams a question and asks it again without streaming")
def step_stream_and_whole(context: Context) -> None:
    """The same temperature-0 request with stream true, then without."""
    body = responses_api.response_body(context.settings.model, QUESTION)
    _send(context, [("user", QUESTION)], body)
    context.streamed = _client(context).create({**body, "stream": True})


@then("the events come in Ollama's order for a text answer, each named as its type")
def step_event_order(context: Context) -> None:
    """created, in_progress, item and part added, deltas, text, part and item done, completed."""
    streamed: Exchange = context.streamed
    found = responses_api.events(streamed)
    mismatched = [(name, data.get("type")) for name, data in found if name != data.get("type")]
    assert_that(mismatched, empty(), streamed.describe())
    names = responses_api.collapsed([name for name, _ in found], "response.output_text.delta")
    assert_that(names, equal_to(list(responses_api.TEXT_EVENTS)), streamed.describe(2000))


@then("the sequence numbers run from 0 without a gap")
def step_sequence_numbers(context: Context) -> None:
    """Every event carries sequence_number, and they count 0, 1, 2, ..."""
    streamed: Exchange = context.streamed
    numbers = [data.get("sequence_number") for _, data in responses_api.events(streamed)]
    assert_that(numbers, equal_to(list(range(len(numbers)))), streamed.describe(2000))


@then("the stream ends after response.completed, with no [DONE]")
def step_no_done(context: Context) -> None:
    """The last frame is response.completed; no data: [DONE] follows, unlike chat completions."""
    streamed: Exchange = context.streamed
    found = responses_api.events(streamed)
    assert_that([data.get("unparsed") for _, data in found if "unparsed" in data], empty(), streamed.describe(2000))
    assert_that(found[-1][0] if found else "", equal_to("response.completed"), streamed.describe(2000))


@then("the streamed text joins into the answer given without streaming")
def step_joined_text(context: Context) -> None:
    """The deltas, the text done event and the completed output all equal the non-streamed text."""
    streamed: Exchange = context.streamed
    whole = responses_api.output_text(responses_api.ok(context.response))
    found = dict(responses_api.events(streamed))
    deltas = "".join(data["delta"] for name, data in responses_api.events(streamed) if name == "response.output_text.delta")
    described = _describe(streamed, context.response)
    assert_that(deltas, equal_to(whole), described)
    assert_that(found.get("response.output_text.done", {}).get("text"), equal_to(whole), described)
    assert_that(responses_api.output_text(found.get("response.completed", {}).get("response", {})), equal_to(whole), described)


@then("the completed event's usage counts the tokens /api/chat counts for the same messages")
def step_streamed_usage(context: Context) -> None:
    """response.completed carries usage equal to /api/chat's counts."""
    streamed: Exchange = context.streamed
    native = native_twin(context.ollama, context.settings.model, context.native_messages, context.native_budget)
    found = dict(responses_api.events(streamed))
    usage = found.get("response.completed", {}).get("response", {}).get("usage") or {}
    final = ollama.ok_json(native)
    described = _describe(streamed, native)
    assert_that(usage.get("input_tokens"), equal_to(final.get("prompt_eval_count")), described)
    assert_that(usage.get("output_tokens"), equal_to(final.get("eval_count")), described)


# -- Compressed bodies and bad requests -------------------------------------------------------


@when("a Responses client sends a question compressed with zstd, and the same question plainly")
def step_zstd(context: Context) -> None:
    """The body compressed as Codex compresses it, then uncompressed."""
    body = responses_api.response_body(context.settings.model, QUESTION)
    context.response = _client(context).create_compressed(body)
    context.plain = _client(context).create(body)


@then("the compressed request gets the plain request's answer")
def step_zstd_same(context: Context) -> None:
    """Both answered 200 with the same text at temperature 0."""
    response: Exchange = context.response
    expected = responses_api.output_text(responses_api.ok(context.plain))
    assert_that(responses_api.output_text(responses_api.ok(response)), equal_to(expected), _describe(response, context.plain))


@when("a client posts to {path} a body marked zstd that is not")
def step_bad_zstd(context: Context, path: str) -> None:
    """Plain JSON under Content-Encoding: zstd."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "zstd"}
    context.response = context.ollama.http.send("POST", path, content=b'{"model": "x"}', headers=headers)


@when("a Responses client sends {request}")
def step_bad_request(context: Context, request: str) -> None:
    """The named bad request, built for the model under test."""
    context.response = _client(context).create(responses_api.bad_request(request, context.settings.model))
