"""Steps for /api/chat: conversations, roles, overflow, client quirks, JSON mode and tools.

Example:
    When a client chats with streaming
    Then the response status is 200
"""

from __future__ import annotations

import json
from typing import Any

from behave import then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    greater_than,
    has_item,
    has_key,
    less_than_or_equal_to,
)

from support import ollama
from support.http import Exchange
from support.ollama import LONG_SYSTEM_PROMPT, PROMPT


def _chat(context: Context, messages: list[dict[str, Any]], *, stream: bool = False, **extra: Any) -> Exchange:
    """A chat; ``extra`` adds or replaces request fields such as options."""
    return context.ollama.chat(ollama.chat_body(context.settings.model, messages, stream=stream, **extra))



@when("a client chats without streaming")
def step_chat(context: Context) -> None:
    """A non-streamed chat with one user message."""
    context.response = _chat(context, [ollama.user(PROMPT)])


@when("a client chats with streaming")
def step_chat_streamed(context: Context) -> None:
    """A streamed chat with one user message."""
    context.response = _chat(context, [ollama.user(PROMPT)], stream=True)


HISTORIES = {
    "a system message": [ollama.system(LONG_SYSTEM_PROMPT)],
    "an earlier exchange": [
        ollama.user("Hello, I have a question about the weather."),
        ollama.assistant("Of course, ask me anything about the weather."),
    ],
}


@when("a client chats once with only the last message and once with {history} before it")
def step_chat_with_history(context: Context, history: str) -> None:
    """The same last message alone and after the named history."""
    context.responses = [
        _chat(context, [ollama.user(PROMPT)], options=ollama.options(1)),
        _chat(context, [*HISTORIES[history], ollama.user(PROMPT)], options=ollama.options(1)),
    ]


@then("the longer conversation evaluates more prompt tokens")
def step_more_prompt_tokens(context: Context) -> None:
    """The history counts toward prompt_eval_count."""
    short, long = context.responses
    assert_that(
        ollama.prompt_tokens(long),
        greater_than(ollama.prompt_tokens(short)),
        f"{short.describe()}\n{long.describe()}",
    )


@when("a client chats with a conversation about twice as long as a {window:d}-token context window")
def step_chat_overflow(context: Context, window: int) -> None:
    """A system message and enough earlier turns to fill the window twice, with num_ctx set."""
    # About 25 tokens per exchange with this wording, for the tokenizers of small chat models.
    turns = [
        message
        for number in range(window * 2 // 25)
        for message in (ollama.user(f"Tell me fact number {number} about the sky."), ollama.assistant("The sky is blue."))
    ]
    messages = [ollama.system("You answer briefly."), *turns, ollama.user(PROMPT)]
    context.context_window = window
    context.response = _chat(context, messages, options=ollama.options(4, num_ctx=window))


@then("the model read no more prompt tokens than the context window holds")
def step_prompt_fits_window(context: Context) -> None:
    """prompt_eval_count does not exceed num_ctx."""
    response: Exchange = context.response
    assert_that(ollama.prompt_tokens(response), less_than_or_equal_to(context.context_window), response.describe())


@when('a client chats with the role written as "{role}"')
def step_chat_role(context: Context, role: str) -> None:
    """A chat whose only message uses the role spelled as given."""
    context.response = _chat(context, [{"role": role, "content": PROMPT}])


@when("a client chats the way litellm does, without a Content-Type header")
def step_chat_litellm(context: Context) -> None:
    """litellm's body: empty images on every message, options, no Content-Type header."""
    body = {
        "model": context.settings.model,
        "messages": [{"role": "user", "content": PROMPT, "images": []}],
        "options": {"temperature": 0, "num_predict": 8, "num_ctx": 2048},
        "stream": False,
    }
    context.response = context.ollama.http.send("POST", "/api/chat", content=json.dumps(body).encode())


@when("a client chats offering a weather tool")
def step_chat_tool(context: Context) -> None:
    """A chat that offers one tool."""
    context.response = _chat(context, [ollama.user(PROMPT)], tools=[ollama.WEATHER_TOOL])


@when("a client asks about the weather offering a weather tool")
def step_chat_weather_tool(context: Context) -> None:
    """A chat that should make the capable model call the offered tool."""
    body = ollama.chat_body(
        context.needs.capable_model,
        [ollama.user("What is the weather in Boston right now?")],
        stream=False,
        tools=[ollama.WEATHER_TOOL],
        options=ollama.options(64),
    )
    context.response = context.ollama.chat(body)


@when("a client asks about the weather with a format that admits only a call of the weather tool")
def step_chat_constrained_tool(context: Context) -> None:
    """A chat whose format leaves the model no answer but a call of the offered tool."""
    context.response = _chat(
        context,
        [ollama.user("What is the weather in Boston right now?")],
        tools=[ollama.WEATHER_TOOL],
        format=ollama.WEATHER_CALL_FORMAT,
        options=ollama.options(48),
    )


@then('the answer calls "{name}" with a "{argument}" argument')
def step_tool_called(context: Context, name: str, argument: str) -> None:
    """The message carries a call of the tool with the named argument in an object."""
    response: Exchange = context.response
    calls = response.json().get("message", {}).get("tool_calls") or []
    functions = [call.get("function", {}) for call in calls]
    assert_that([f.get("name") for f in functions], has_item(name), response.describe())
    arguments = next(f.get("arguments") for f in functions if f.get("name") == name)
    assert_that(arguments, has_key(argument), response.describe())
