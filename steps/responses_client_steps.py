"""Steps that drive the official openai Python client's Responses calls against the target.

The client parses the response object and each streamed event into typed models; `responses.stream`
accumulates the events itself and fails on an event order it does not expect.

Example:
    When the openai client calls responses.stream
    Then the call succeeds
    And the openai client received a completed response with text and usage
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than, has_item, is_not
from parse_type import TypeBuilder

from support.clients import openai_client
from support.outcome import outcome
from support.report.allure import attach_exchange

PROMPT = "Why is the sky blue?"
BUDGET = 8


def _streamed_events(client: Any, model: str) -> Any:
    events = list(client.responses.create(model=model, input=PROMPT, max_output_tokens=BUDGET, temperature=0, stream=True))
    completed = [event for event in events if event.type == "response.completed"]
    if len(completed) != 1:
        raise AssertionError(f"expected one response.completed event, got {[event.type for event in events]}")
    joined = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    if joined != completed[0].response.output_text:
        raise AssertionError(f"the deltas join into {joined!r}, the completed response says {completed[0].response.output_text!r}")
    return completed[0].response


def _stream_helper(client: Any, model: str) -> Any:
    with client.responses.stream(model=model, input=PROMPT, max_output_tokens=BUDGET, temperature=0) as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


RESPONSES_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "responses.create": lambda client, model: client.responses.create(model=model, input=PROMPT, max_output_tokens=BUDGET, temperature=0),
    "responses.create with stream": _streamed_events,
    "responses.stream": _stream_helper,
    "responses.create with instructions": lambda client, model: client.responses.create(
        model=model, instructions="You answer in one sentence.", input=PROMPT, max_output_tokens=BUDGET, temperature=0
    ),
}

register_type(ResponsesCall=TypeBuilder.make_choice(list(RESPONSES_CALLS)))


def _call(context: Context, action: Callable[[], Any]) -> None:
    context.client_result, context.client_error = outcome(action)


@when("the openai client calls {call:ResponsesCall}")
def step_responses_call(context: Context, call: str) -> None:
    """One of the Responses calls of openai.OpenAI, at temperature 0."""
    client = openai_client(context.stack.openai_url, attach_exchange)
    _call(context, lambda: RESPONSES_CALLS[call](client, context.settings.model))


@when('the openai client asks for a response from the model "{model}"')
def step_responses_unknown(context: Context, model: str) -> None:
    """responses.create naming the given model."""
    client = openai_client(context.stack.openai_url, attach_exchange)
    context.client_model = model
    _call(context, lambda: RESPONSES_CALLS["responses.create"](client, model))


@then("the openai client received a completed response with text and usage")
def step_completed_response(context: Context) -> None:
    """The Response is completed, its output_text is not blank and its usage counts both sides."""
    response = context.client_result
    assert_that(response.status, equal_to("completed"), repr(response))
    assert_that(response.output_text.strip(), is_not(equal_to("")), repr(response))
    assert_that([item.type for item in response.output], has_item("message"), repr(response))
    assert_that(response.usage.input_tokens, greater_than(0), repr(response))
    assert_that(response.usage.output_tokens, greater_than(0), repr(response))
