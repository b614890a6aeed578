"""Steps the Responses and Messages features share: each answer checked against /api/chat for the same messages.

The When steps of steps/responses_steps.py and steps/anthropic_steps.py leave the native messages and budget
their request stands for in ``context.native_messages`` and ``context.native_budget``.

Example:
    When an Anthropic client sends a question
    Then the usage counts the tokens /api/chat counts for the same messages
"""

from __future__ import annotations

from typing import Any

from behave import then
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than, less_than_or_equal_to

from support import ollama
from support.compat import answer_text, native_twin
from support.http import Exchange


def _body(exchange: Exchange) -> dict[str, Any]:
    if exchange.status != 200:
        raise AssertionError(f"expected 200\n{exchange.describe()}")
    body: dict[str, Any] = exchange.json()
    return body


def _native(context: Context) -> Exchange:
    """/api/chat for the scenario's messages, asked once per scenario."""
    if context.native_exchange is None:
        context.native_exchange = native_twin(context.ollama, context.settings.model, context.native_messages, context.native_budget)
    exchange: Exchange = context.native_exchange
    return exchange


@then("the usage counts the tokens /api/chat counts for the same messages")
def step_usage_matches_native(context: Context) -> None:
    """input and output tokens equal /api/chat's prompt_eval_count and eval_count (and add up, where a total is given)."""
    response: Exchange = context.response
    native = _native(context)
    usage = _body(response)["usage"]
    final = ollama.ok_json(native)
    described = f"{response.describe()}\n{native.describe()}"
    assert_that(usage["input_tokens"], equal_to(final.get("prompt_eval_count")), described)
    assert_that(usage["output_tokens"], equal_to(final.get("eval_count")), described)
    assert_that(usage.get("total_tokens", usage["input_tokens"] + usage["output_tokens"]), equal_to(usage["input_tokens"] + usage["output_tokens"]), described)


@then("the answer is /api/chat's answer to the same messages")
def step_answer_matches_native(context: Context) -> None:
    """At temperature 0 the answer's text equals the native answer."""
    response: Exchange = context.response
    native = _native(context)
    expected = ollama.ok_json(native)["message"]["content"]
    assert_that(answer_text(_body(response)), equal_to(expected), f"{response.describe()}\n{native.describe()}")


@then("the prompt reads more tokens than the question alone")
def step_more_than_alone(context: Context) -> None:
    """The instructions or system prompt added prompt tokens: /api/chat on the last message alone counts fewer."""
    response: Exchange = context.response
    alone = native_twin(context.ollama, context.settings.model, context.native_messages[-1:], 1)
    read = _body(response)["usage"]["input_tokens"]
    assert_that(read, greater_than(ollama.ok_json(alone).get("prompt_eval_count", 0)), f"{response.describe()}\n{alone.describe()}")


@then("at most {tokens:d} output tokens were used")
def step_output_tokens_at_most(context: Context, tokens: int) -> None:
    """usage.output_tokens within the budget."""
    response: Exchange = context.response
    assert_that(_body(response)["usage"]["output_tokens"], less_than_or_equal_to(tokens), response.describe())
