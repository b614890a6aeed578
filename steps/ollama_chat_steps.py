"""Steps for /api/chat: conversations, roles, overflow, load and unload, concurrency, JSON mode and tools.

Example:
    When a client chats with streaming
    Then the response status is 200
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    has_item,
    has_key,
    less_than,
    less_than_or_equal_to,
    not_none,
)

from support import ollama
from support.answers import answer_text
from support.http import Exchange
from support.native_rules import tail_read_as
from support.ollama import LONG_SYSTEM_PROMPT, PROMPT


def _chat(context: Context, messages: list[dict[str, Any]], *, stream: bool = False, **extra: Any) -> Exchange:
    """A chat; ``extra`` adds or replaces request fields such as options."""
    return context.ollama.chat(ollama.chat_body(context.settings.model, messages, stream=stream, **extra))


# -- Chat -----------------------------------------------------------------------------------


@when("a client chats without streaming")
def step_chat(context: Context) -> None:
    """A non-streamed chat with one user message."""
    context.response = _chat(context, [ollama.user(PROMPT)])


@when("a client chats with streaming")
def step_chat_streamed(context: Context) -> None:
    """A streamed chat with one user message."""
    context.response = _chat(context, [ollama.user(PROMPT)], stream=True)


@when("a client chats without saying whether to stream")
def step_chat_default_stream(context: Context) -> None:
    """A chat request without a stream field."""
    body = ollama.chat_body(context.settings.model, [ollama.user(PROMPT)], stream=True)
    del body["stream"]
    context.response = context.ollama.chat(body)


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


@when('a client chats once with the roles written "{system_role}" and "{user_role}" and once in lower case')
def step_chat_roles(context: Context, system_role: str, user_role: str) -> None:
    """The same system and user message under roles as spelled, then under the lower-case roles."""

    def conversation(system: str, user: str) -> list[dict[str, Any]]:
        return [{"role": system, "content": LONG_SYSTEM_PROMPT}, {"role": user, "content": PROMPT}]

    context.responses = [
        _chat(context, conversation(system_role, user_role)),
        _chat(context, conversation("system", "user")),
    ]


@then("both chats read the same number of prompt tokens")
def step_same_prompt_tokens(context: Context) -> None:
    """prompt_eval_count is the same for both requests."""
    first, second = context.responses
    assert_that(ollama.prompt_tokens(first), equal_to(ollama.prompt_tokens(second)), f"{first.describe()}\n{second.describe()}")


@then("both chats give the same answer")
def step_same_chat_answer(context: Context) -> None:
    """The two answers' text is the same."""
    first, second = context.responses
    assert_that(answer_text(first), equal_to(answer_text(second)), f"{first.describe()}\n{second.describe()}")


OVERFLOW_SYSTEM = ollama.system("You answer briefly.")
OVERFLOW_QUESTION = ollama.user("Which fact number came last?")
OVERFLOW_BUDGET = 6


def _overflow_history(window: int) -> list[dict[str, Any]]:
    """Earlier turns that fill the window about twice, each user turn longer than the one before.

    The growing lengths make a run of newest messages read a different number of tokens than most other runs, and
    the numbered facts make the answer depend on which turns the model read.
    """
    turns: list[dict[str, Any]] = []
    number = 0
    while len(json.dumps(turns)) < window * 2 * 3:  # about three characters of JSON per token of ChatML
        turns += [ollama.user(f"Fact {number}: " + "the sky is blue, " * (1 + number)), ollama.assistant(f"Noted fact {number}.")]
        number += 1
    return turns


@when("a client chats with a conversation about twice as long as a {window:d}-token context window")
def step_chat_overflow(context: Context, window: int) -> None:
    """A system message and enough earlier turns to fill the window twice, with num_ctx set."""
    context.overflow_history = _overflow_history(window)
    context.context_window = window
    messages = [OVERFLOW_SYSTEM, *context.overflow_history, OVERFLOW_QUESTION]
    context.response = _chat(context, messages, options=ollama.options(OVERFLOW_BUDGET, num_ctx=window))


@then("the model read no more prompt tokens than the context window holds")
def step_prompt_fits_window(context: Context) -> None:
    """prompt_eval_count does not exceed num_ctx."""
    response: Exchange = context.response
    assert_that(ollama.prompt_tokens(response), less_than_or_equal_to(context.context_window), response.describe())


@then("the model read the system message and the newest messages that fit, as a request of just those reads them")
def step_overflow_kept_tail(context: Context) -> None:
    """The overflowing chat reads as many tokens, and answers the same, as system + newest messages + last message."""
    response: Exchange = context.response
    target = ollama.prompt_tokens(response)
    history: list[dict[str, Any]] = context.overflow_history
    tails: dict[int, Exchange] = {}

    def count_of_tail(newest: int) -> int:
        kept = history[len(history) - newest :] if newest else []
        tails[newest] = _chat(context, [OVERFLOW_SYSTEM, *kept, OVERFLOW_QUESTION], options=ollama.options(OVERFLOW_BUDGET))
        return ollama.prompt_tokens(tails[newest])

    newest, tried = tail_read_as(count_of_tail, len(history), target)
    report = f"prompt tokens of system + newest n messages + last message, as (n, tokens): {sorted(tried)}\n{response.describe()}"
    assert_that(newest, not_none(), f"no run of newest messages reads {target} tokens; {report}")
    assert newest is not None
    assert_that(answer_text(response), equal_to(answer_text(tails[newest])), f"{report}\nthe newest {newest}:\n{tails[newest].describe()}")
    assert_that(newest, less_than(len(history)), f"nothing was dropped; {report}")
    one_more = count_of_tail(newest + 1)
    room = context.context_window - OVERFLOW_BUDGET
    assert_that(one_more, greater_than(room), f"{newest + 1} newest messages ({one_more} tokens) would have fit in {room}; {report}")


@when("a client chats with one message about twice as long as a {window:d}-token context window")
def step_chat_long_message(context: Context, window: int) -> None:
    """One user message of about twice num_ctx tokens."""
    context.context_window = window
    message = ollama.user("Repeat after me: " + "the sky is blue and the grass is green, " * (window // 5))
    context.response = _chat(context, [message], options=ollama.options(4, num_ctx=window))


@then("the chat is answered within the context window or refused with a client error about the context")
def step_long_message_outcome(context: Context) -> None:
    """200 reading at most num_ctx prompt tokens, or a 4xx whose error mentions the context; never a 5xx."""
    response: Exchange = context.response
    if response.status == 200:
        assert_that(ollama.prompt_tokens(response), less_than_or_equal_to(context.context_window), response.describe())
        return
    assert_that(response.status, less_than(500), response.describe())
    assert_that(response.status, greater_than(399), response.describe())
    assert_that(response.json().get("error", ""), contains_string("context"), response.describe())


@when("a client chats with no messages")
def step_chat_load(context: Context) -> None:
    """A chat with an empty message list, streamed by default."""
    context.response = context.ollama.chat({"model": context.settings.model, "messages": []})


@when("a client unloads the model by chatting with no messages and keep_alive 0")
def step_chat_unload(context: Context) -> None:
    """A chat with an empty message list and keep_alive 0."""
    context.response = context.ollama.chat({"model": context.settings.model, "messages": [], "keep_alive": 0})


CONCURRENT_PROMPTS = ("What color is grass?", "Name a large animal.")


@when("a client sends two different chats at once at temperature 0")
def step_chat_concurrent(context: Context) -> None:
    """Each chat alone, then both at the same time."""
    def send(prompt: str) -> Exchange:
        return _chat(context, [ollama.user(prompt)], options=ollama.options(12))

    context.alone = [send(prompt) for prompt in CONCURRENT_PROMPTS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(CONCURRENT_PROMPTS)) as pool:
        context.responses = list(pool.map(send, CONCURRENT_PROMPTS))


@then("each chat's answer equals its answer when sent alone")
def step_concurrent_answers(context: Context) -> None:
    """Same text for each prompt, at once and alone."""
    for alone, together in zip(context.alone, context.responses, strict=True):
        ollama.ok_json(together)
        assert_that(answer_text(together), equal_to(answer_text(alone)), f"at once:\n{together.describe()}\nalone:\n{alone.describe()}")


@when("a client chats with think set to {value}")
def step_chat_think(context: Context, value: str) -> None:
    """A chat whose think field is the given JSON value."""
    context.response = _chat(context, [ollama.user(PROMPT)], think=json.loads(value), options=ollama.options(2))


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


NO_TOOLS_TEMPLATE = "{% for message in messages %}{{ message.content }}\n{% endfor %}"
"""A chat template that never mentions tools, so a model created with it lacks the tools capability."""


@given("a copy of the model under test whose template offers no tools")
def step_model_without_tools(context: Context) -> None:
    """/api/create from the model under test with a template without tools; deleted after the scenario."""
    context.model_without_tools = "notools-probe:latest"
    body = {"model": context.model_without_tools, "from": context.settings.model, "template": NO_TOOLS_TEMPLATE, "stream": False}
    created = context.ollama.http.post("/api/create", body)
    context.add_cleanup(context.ollama.http.send, "DELETE", "/api/delete", json_body={"model": context.model_without_tools})
    ollama.ok_json(created)


@when("a client chats with that model offering a weather tool")
def step_chat_tool_without_capability(context: Context) -> None:
    """A chat offering one tool to the model without the tools capability."""
    body = ollama.chat_body(context.model_without_tools, [ollama.user(PROMPT)], stream=False, tools=[ollama.WEATHER_TOOL])
    context.response = context.ollama.chat(body)
