"""Steps that drive the official ollama and openai Python clients against the target.

The clients validate responses themselves (pydantic models, SSE parsing), so a call that returns
at all has already passed their checks; the steps then look at what came back.

Example:
    When the ollama client calls streamed chat
    Then the call succeeds
    And the ollama client received a finished answer
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    has_item,
    has_length,
    instance_of,
    is_in,
    is_not,
    none,
    not_none,
)
from parse_type import TypeBuilder

from support.clients import answer_text, ollama_client, openai_client, status_of
from support.ollama import listed_name
from support.report.allure import attach_exchange

PROMPT = "Why is the sky blue?"
TEXTS = ["The sky is blue", "Grass is green"]
BUDGET = 8
FINISH_REASONS = ("stop", "length")

OLLAMA_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "chat": lambda client, model: [
        client.chat(model=model, messages=[{"role": "user", "content": PROMPT}], options={"temperature": 0, "num_predict": BUDGET})
    ],
    "streamed chat": lambda client, model: list(
        client.chat(
            model=model, messages=[{"role": "user", "content": PROMPT}], options={"temperature": 0, "num_predict": BUDGET}, stream=True
        )
    ),
    "generate": lambda client, model: [client.generate(model=model, prompt=PROMPT, options={"temperature": 0, "num_predict": BUDGET})],
    "streamed generate": lambda client, model: list(
        client.generate(model=model, prompt=PROMPT, options={"temperature": 0, "num_predict": BUDGET}, stream=True)
    ),
    "embed": lambda client, model: [client.embed(model=model, input=TEXTS)],
}

OPENAI_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "chat completions": lambda client, model: [
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": PROMPT}], max_tokens=BUDGET, temperature=0)
    ],
    "streamed chat completions": lambda client, model: list(
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": PROMPT}], max_tokens=BUDGET, temperature=0, stream=True
        )
    ),
    "completions": lambda client, model: [client.completions.create(model=model, prompt=PROMPT, max_tokens=BUDGET, temperature=0)],
    "embeddings": lambda client, model: [client.embeddings.create(model=model, input=TEXTS)],
}

EMBEDDING_CALLS = frozenset({"embed", "embeddings"})
"""Calls made with the embedding model: a completion model answers them with Ollama's 501."""

register_type(
    OllamaCall=TypeBuilder.make_choice(list(OLLAMA_CALLS)),
    OpenAICall=TypeBuilder.make_choice(list(OPENAI_CALLS)),
)


def _model_for(context: Context, call: str) -> str:
    return str(context.settings.embedding_model if call in EMBEDDING_CALLS else context.settings.model)


def _call(context: Context, action: Callable[[], Any]) -> None:
    # The Then steps judge the outcome; a client exception is an outcome, not a suite error.
    context.client_result, context.client_error = None, None
    try:
        context.client_result = action()
    except Exception as error:  # noqa: BLE001 - every client failure is reported by a Then step
        context.client_error = error


def _ollama(context: Context) -> Any:
    return ollama_client(context.stack.ollama_url, attach_exchange)


def _openai(context: Context) -> Any:
    return openai_client(context.stack.openai_url, attach_exchange)


@when("the ollama client lists the models")
def step_ollama_list(context: Context) -> None:
    """ollama.Client.list()."""
    _call(context, lambda: _ollama(context).list())


@when("the ollama client shows the model under test")
def step_ollama_show(context: Context) -> None:
    """ollama.Client.show(model)."""
    _call(context, lambda: _ollama(context).show(context.settings.model))


@when("the ollama client calls {call:OllamaCall}")
def step_ollama_call(context: Context, call: str) -> None:
    """One of the generation calls of ollama.Client."""
    client = _ollama(context)
    _call(context, lambda: OLLAMA_CALLS[call](client, _model_for(context, call)))


@when('the ollama client chats with the model "{model}"')
def step_ollama_chat_model(context: Context, model: str) -> None:
    """ollama.Client.chat with a given model name."""
    client = _ollama(context)
    context.client_model = model
    _call(context, lambda: OLLAMA_CALLS["chat"](client, model))


@when("the openai client lists the models")
def step_openai_list(context: Context) -> None:
    """openai.OpenAI().models.list()."""
    _call(context, lambda: list(_openai(context).models.list()))


@when("the openai client calls {call:OpenAICall}")
def step_openai_call(context: Context, call: str) -> None:
    """One of the generation calls of openai.OpenAI."""
    client = _openai(context)
    _call(context, lambda: OPENAI_CALLS[call](client, _model_for(context, call)))


@when('the openai client chats with the model "{model}"')
def step_openai_chat_model(context: Context, model: str) -> None:
    """openai.OpenAI().chat.completions.create with a given model name."""
    client = _openai(context)
    context.client_model = model
    _call(context, lambda: OPENAI_CALLS["chat completions"](client, model))


@then("the call succeeds")
def step_call_succeeds(context: Context) -> None:
    """The client returned without raising."""
    assert_that(context.client_error, none(), f"the client raised {context.client_error!r}")


@then("the call raises {error_type} with status {status:d}, naming the model")
def step_call_raises(context: Context, error_type: str, status: int) -> None:
    """The client raised its own HTTP error class, carrying the status and the server's message about the model."""
    error = context.client_error
    assert_that(error, not_none(), f"expected {error_type}, got {context.client_result!r}")
    assert_that(type(error).__name__, equal_to(error_type), f"the client raised {error!r}")
    assert_that(status_of(error), equal_to(status), f"the client raised {error!r}")
    assert_that(str(error), contains_string(context.client_model), f"the client raised {error!r}")


@then("the ollama client's list includes the model under test")
def step_ollama_list_has_model(context: Context) -> None:
    """ListResponse.models names the model under test."""
    names = [entry.model for entry in context.client_result.models]
    assert_that(names, has_item(listed_name(context.settings.model)), repr(context.client_result))


@then("the shown model's info names its architecture and its capabilities include completion")
def step_ollama_show_fields(context: Context) -> None:
    """ShowResponse.modelinfo carries general.architecture and capabilities lists "completion"."""
    shown = context.client_result
    architecture = (shown.modelinfo or {}).get("general.architecture")
    assert_that(architecture, instance_of(str), repr(shown))
    assert_that(shown.capabilities or [], has_item("completion"), repr(shown))


@then("the ollama client received a finished answer")
def step_ollama_finished(context: Context) -> None:
    """The last response part is marked done with a reason."""
    parts = context.client_result
    assert_that(len(parts), greater_than(0), repr(parts))
    assert_that(parts[-1].done, equal_to(True), repr(parts[-1]))
    assert_that(parts[-1].done_reason, is_in(FINISH_REASONS), repr(parts[-1]))


@then("the ollama client received {count:d} vectors of the same non-zero length")
def step_ollama_vectors(context: Context, count: int) -> None:
    """EmbedResponse.embeddings has one vector per text, all of one non-zero length."""
    response = context.client_result[0]
    assert_that(response.embeddings, has_length(count), repr(response))
    lengths = sorted({len(vector) for vector in response.embeddings})
    assert_that(lengths, has_length(1), repr(response))
    assert_that(lengths, is_not(equal_to([0])), repr(response))


@then("the answer the client received has text")
def step_client_answer_text(context: Context) -> None:
    """The content the client parsed, joined across streamed parts, is not blank."""
    assert_that(answer_text(context.client_result).strip(), is_not(equal_to("")), repr(context.client_result))


@then("the openai client's list includes the model under test")
def step_openai_list_has_model(context: Context) -> None:
    """models.list() names the model under test."""
    ids = [model.id for model in context.client_result]
    assert_that(ids, has_item(listed_name(context.settings.model)), repr(ids))


@then("the openai client received a finished answer")
def step_openai_finished(context: Context) -> None:
    """Some returned choice carries a finish reason of stop or length."""
    reasons = [choice.finish_reason for part in context.client_result for choice in part.choices if choice.finish_reason is not None]
    assert_that(reasons, has_length(1), repr(context.client_result))
    assert_that(reasons[0], is_in(FINISH_REASONS), repr(context.client_result))


@then("the openai client received {count:d} vectors of the same non-zero length")
def step_openai_vectors(context: Context, count: int) -> None:
    """embeddings.create() returned one item per text, all of one non-zero length."""
    response = context.client_result[0]
    assert_that(response.data, has_length(count), repr(response))
    lengths = sorted({len(item.embedding) for item in response.data})
    assert_that(lengths, has_length(1), repr(response))
    assert_that(lengths, is_not(equal_to([0])), repr(response))
