"""Steps for tool calls on /api/chat and /v1/chat/completions, streamed and not.

Example:
    When the capable model is asked about the weather with the weather tool offered on /api/chat, streamed
    Then the answer calls "get_weather" with a "location" argument, each call with an id and an index
"""

from __future__ import annotations

import json
from typing import Any

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, empty, equal_to, greater_than
from parse_type import TypeBuilder

from support import tool_calls
from support.http import Exchange
from support.tool_calls import ReadAnswer

register_type(ChatApi=TypeBuilder.make_choice(["/api/chat", "/v1/chat/completions"]))
register_type(Streaming=TypeBuilder.make_choice(["streamed", "not streamed"]))


def _ask(context: Context, api: str, model: str, streamed: str, **extra: Any) -> Exchange:
    """The weather question on one chat API; ``extra`` is the format (native) or the schema (OpenAI) and other fields."""
    stream = streamed == "streamed"
    context.tool_api = api
    if api == "/api/chat":
        return context.ollama.chat(tool_calls.native_request(model, stream=stream, **extra))
    schema = extra.pop("format", None)
    return context.openai.chat_completions(tool_calls.openai_request(model, stream=stream, schema=schema, **extra))


def _read(context: Context) -> ReadAnswer:
    """The last answer as its API's client library reads it."""
    if context.tool_api == "/api/chat":
        return tool_calls.read_native(context.response)
    return tool_calls.read_openai(context.response)


@when("the capable model is asked about the weather with the weather tool offered on {api:ChatApi}, {streamed:Streaming}")
def step_capable_asked(context: Context, api: str, streamed: str) -> None:
    """The capable model, free to answer as it likes, with the weather tool offered."""
    context.response = _ask(context, api, context.needs.capable_model, streamed)


@when("the model under test is held by its format to a call of the weather tool on {api:ChatApi}, {streamed:Streaming}")
def step_forced_call(context: Context, api: str, streamed: str) -> None:
    """A format that admits only a well-formed call, so even a tiny model calls the tool."""
    context.response = _ask(context, api, context.settings.model, streamed, format=tool_calls.FORCED_CALL)


@when("the model under test is held by its format to a malformed call of the weather tool on {api:ChatApi}, {streamed:Streaming}")
def step_malformed_call(context: Context, api: str, streamed: str) -> None:
    """A format that makes the model write a call between the tool-call tags whose JSON does not parse."""
    context.response = _ask(context, api, context.settings.model, streamed, format=tool_calls.MALFORMED_CALL_FORMAT)


@when('the model under test is held to a call of the weather tool on /v1/chat/completions with tool_choice {choice}')
def step_tool_choice(context: Context, choice: str) -> None:
    """The same forced call asked without tool_choice and then with the given one (JSON)."""
    context.without_choice = _ask(context, "/v1/chat/completions", context.settings.model, "not streamed", format=tool_calls.FORCED_CALL)
    context.response = _ask(context, "/v1/chat/completions", context.settings.model, "not streamed",
                            format=tool_calls.FORCED_CALL, tool_choice=json.loads(choice))


@when("the capable model is given the weather tool's result on {api:ChatApi}")
def step_history(context: Context, api: str) -> None:
    """A replayed conversation: the question, the model's call with its id, and the tool's answer to that id."""
    model = context.needs.capable_model
    context.tool_api = api
    if api == "/api/chat":
        body = tool_calls.native_request(model, stream=False, messages=tool_calls.native_history("call_k3v9x2ab"))
        context.response = context.ollama.chat(body)
    else:
        body = tool_calls.openai_request(model, stream=False, messages=tool_calls.openai_history("call_k3v9x2ab"))
        context.response = context.openai.chat_completions(body)


@when("the model under test is held by its format to a call of the weather tool on /v1/chat/completions within a budget that ends just as the call is complete, {streamed:Streaming}")
def step_budget_ends_at_call(context: Context, streamed: str) -> None:
    """The largest budget at which /api/chat ends the call by length (engines count the end token differently), asked on /v1."""
    model = context.settings.model
    free = context.ollama.chat(tool_calls.native_request(model, stream=False, format=tool_calls.FORCED_CALL))
    budget = int(free.json()["eval_count"])
    if context.ollama.chat(tool_calls.native_request(model, stream=False, format=tool_calls.FORCED_CALL, budget=budget)).json().get("done_reason") != "length":
        budget -= 1
    context.response = _ask(context, "/v1/chat/completions", model, streamed, format=tool_calls.FORCED_CALL, budget=budget)


@then('the answer calls "{tool}" with a "{argument}" argument, each call with an id and an index')
def step_calls(context: Context, tool: str, argument: str) -> None:
    """The calls as the client assembled them: the tool named, arguments that are JSON, an id and index on every call."""
    assert_that(tool_calls.call_problems(_read(context), tool, argument), empty(), context.response.describe(1500))


@then('the answer ends with the reason "{reason}"')
def step_finish(context: Context, reason: str) -> None:
    """done_reason on /api/chat, finish_reason on /v1 (the separate finish chunk when streamed)."""
    assert_that(_read(context).finish, equal_to(reason), context.response.describe(1500))


@then('the content does not carry the call')
def step_no_leak(context: Context) -> None:
    """No tool name or tool-call tag in the text the client shows."""
    content = _read(context).content
    assert_that(tool_calls.leaked_call(content, "get_weather"), equal_to(False), f"content {content!r}\n{context.response.describe(1500)}")


@then("no call comes back")
def step_no_call(context: Context) -> None:
    """The malformed call is not turned into a call."""
    assert_that(_read(context).calls, empty(), context.response.describe(1500))


@then("the answer uses the tool's result")
def step_uses_result(context: Context) -> None:
    """The answer repeats the temperature the tool gave."""
    answer = _read(context)
    assert_that(answer.calls, empty(), context.response.describe(1500))
    assert_that(answer.content, contains_string("22"), context.response.describe(1500))


@then("the call and its arguments are the same as without tool_choice")
def step_same_as_without_choice(context: Context) -> None:
    """tool_choice is ignored, as Ollama ignores it: the same call comes back."""
    without = tool_calls.read_openai(context.without_choice)
    answer = _read(context)
    assert_that([(c.name, c.arguments) for c in answer.calls], equal_to([(c.name, c.arguments) for c in without.calls]), context.response.describe(1500))
    assert_that(len(answer.calls), greater_than(0), context.response.describe(1500))
