"""Steps that drive the official anthropic Python client against the target.

The client parses every answer into its own typed objects and accumulates streamed events itself, so a call
that returns at all has passed its checks; the steps then look at what came back. The anthropic SDK 2.x takes
temperature only through extra_body.

Example:
    When the anthropic client calls messages.stream
    Then the call succeeds
    And the anthropic client received a finished message with text and usage
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, equal_to, greater_than, is_in, is_not, not_none
from parse_type import TypeBuilder

from support.anthropic_client import anthropic_client, anthropic_status, message_text
from support.outcome import outcome
from support.report.allure import attach_exchange

PROMPT = "Why is the sky blue?"
BUDGET = 8
STOP_REASONS = ("end_turn", "max_tokens")
GREEDY = {"temperature": 0}


def _streamed(client: Any, model: str) -> Any:
    with client.messages.stream(model=model, max_tokens=BUDGET, messages=[{"role": "user", "content": PROMPT}], extra_body=GREEDY) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    if text != message_text(final):
        raise AssertionError(f"text_stream gave {text!r}, the final message {message_text(final)!r}")
    return final


ANTHROPIC_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "messages.create": lambda client, model: client.messages.create(
        model=model, max_tokens=BUDGET, messages=[{"role": "user", "content": PROMPT}], extra_body=GREEDY
    ),
    "messages.stream": _streamed,
    "beta.messages.create": lambda client, model: client.beta.messages.create(
        model=model, max_tokens=BUDGET, messages=[{"role": "user", "content": PROMPT}], extra_body=GREEDY
    ),
}

register_type(AnthropicCall=TypeBuilder.make_choice(list(ANTHROPIC_CALLS)))


def _client(context: Context) -> Any:
    return anthropic_client(context.stack.ollama_url, attach_exchange)


def _call(context: Context, action: Callable[[], Any]) -> None:
    context.client_result, context.client_error = outcome(action)


@when("the anthropic client calls {call:AnthropicCall}")
def step_anthropic_call(context: Context, call: str) -> None:
    """One of the message calls of anthropic.Anthropic, at temperature 0."""
    client = _client(context)
    _call(context, lambda: ANTHROPIC_CALLS[call](client, context.settings.model))


@when("the anthropic client creates a message and streams the same request")
def step_create_and_stream(context: Context) -> None:
    """messages.create, then messages.stream with the same request."""
    client = _client(context)
    _call(context, lambda: (ANTHROPIC_CALLS["messages.create"](client, context.settings.model), _streamed(client, context.settings.model)))


@when("the anthropic client counts the tokens of a request and then creates it")
def step_count_and_create(context: Context) -> None:
    """messages.count_tokens, then messages.create with the same system prompt and messages."""
    client = _client(context)
    model = context.settings.model
    request: dict[str, Any] = {"model": model, "system": "You answer in one sentence.", "messages": [{"role": "user", "content": PROMPT}]}
    _call(context, lambda: (client.messages.count_tokens(**request), client.messages.create(**request, max_tokens=BUDGET, extra_body=GREEDY)))


@when('the anthropic client creates a message with the model "{model}"')
def step_anthropic_unknown(context: Context, model: str) -> None:
    """messages.create naming the given model."""
    client = _client(context)
    context.client_model = model
    _call(context, lambda: ANTHROPIC_CALLS["messages.create"](client, model))


@then("the anthropic client received a finished message with text and usage")
def step_finished_message(context: Context) -> None:
    """The Message has text, a stop reason of end_turn or max_tokens, and both token counts."""
    message = context.client_result
    assert_that(message_text(message).strip(), is_not(equal_to("")), repr(message))
    assert_that(message.stop_reason, is_in(STOP_REASONS), repr(message))
    assert_that(message.usage.input_tokens, greater_than(0), repr(message))
    assert_that(message.usage.output_tokens, greater_than(0), repr(message))


@then("the streamed message has the created message's text, stop reason and usage")
def step_stream_equals_create(context: Context) -> None:
    """The SDK's accumulation of the stream equals the non-streamed Message, usage included."""
    created, streamed = context.client_result
    assert_that(message_text(streamed), equal_to(message_text(created)), f"{created!r}\n{streamed!r}")
    assert_that(streamed.stop_reason, equal_to(created.stop_reason), f"{created!r}\n{streamed!r}")
    assert_that(streamed.usage.input_tokens, equal_to(created.usage.input_tokens), f"{created!r}\n{streamed!r}")
    assert_that(streamed.usage.output_tokens, equal_to(created.usage.output_tokens), f"{created!r}\n{streamed!r}")


@then("the count equals the created message's input tokens")
def step_count_equals(context: Context) -> None:
    """MessageTokensCount.input_tokens equals the created Message's usage.input_tokens."""
    counted, created = context.client_result
    assert_that(counted.input_tokens, equal_to(created.usage.input_tokens), f"{counted!r}\n{created!r}")


@then("the anthropic client raises {error_type} with status {status:d}, naming the model")
def step_anthropic_raises(context: Context, error_type: str, status: int) -> None:
    """The client raised its own status error class, with the status and the server's message about the model."""
    error = context.client_error
    assert_that(error, not_none(), f"expected {error_type}, got {context.client_result!r}")
    assert_that(type(error).__name__, equal_to(error_type), f"the client raised {error!r}")
    assert_that(anthropic_status(error), equal_to(status), f"the client raised {error!r}")
    assert_that(str(error), contains_string(context.client_model), f"the client raised {error!r}")
