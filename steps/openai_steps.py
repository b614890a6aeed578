"""Steps for the OpenAI-compatible API: models, chat completions, completions, embeddings.

Example:
    When an OpenAI client asks for a chat completion
    Then the response has the fields of a chat completion
    And the usage adds up
"""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, close_to, empty, equal_to, has_item, less_than_or_equal_to

from support import openai_api
from support.http import Exchange
from support.ollama import listed_name
from support.shapes import (
    CHAT_COMPLETION,
    COMPLETION,
    EMBEDDING_LIST,
    OPENAI_MODEL,
    OPENAI_MODEL_LIST,
    shape_problems,
)
from support.vectors import l2_norm

PROMPT = "Why is the sky blue?"
EMBED_BATCH = ["The sky is blue", "Grass is green", "Snow is white"]
UNIT_LENGTH_TOLERANCE = 1e-3


@when("an OpenAI client lists the models")
def step_list_models(context: Context) -> None:
    """GET /v1/models."""
    context.response = context.openai.models()


@then("the response has the fields of an OpenAI model list")
def step_model_list_shape(context: Context) -> None:
    """The body matches OpenAI's list shape as Ollama serves it."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), OPENAI_MODEL_LIST), empty(), response.describe())


@then("the OpenAI model list names the same models as Ollama's list")
def step_same_models(context: Context) -> None:
    """The ids, in order, equal the names /api/tags lists."""
    response: Exchange = context.response
    tags = context.ollama.tags()
    ids = [model["id"] for model in response.json().get("data") or []]
    names = [model["name"] for model in tags.json().get("models") or []]
    assert_that(ids, equal_to(names), f"{response.describe()}\n{tags.describe()}")
    assert_that(ids, has_item(listed_name(context.settings.model)), response.describe())


@when("an OpenAI client retrieves the model under test")
def step_retrieve_model(context: Context) -> None:
    """GET /v1/models/{id} for the model under test."""
    context.response = context.openai.model(context.settings.model)


@when('an OpenAI client retrieves the model "{model}"')
def step_retrieve_named_model(context: Context, model: str) -> None:
    """GET /v1/models/{id} for the named model."""
    context.response = context.openai.model(model)


@then("the response has the fields of an OpenAI model")
def step_model_shape(context: Context) -> None:
    """The body matches OpenAI's model shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), OPENAI_MODEL), empty(), response.describe())


@then("the model id is the one the client asked for")
def step_model_id(context: Context) -> None:
    """The id echoes the path parameter, not a normalised name."""
    response: Exchange = context.response
    assert_that(response.json().get("id"), equal_to(context.settings.model), response.describe())


@when("an OpenAI client asks for a chat completion")
def step_chat_completion(context: Context) -> None:
    """A non-streamed chat completion."""
    body = openai_api.chat_completion_body(context.settings.model, PROMPT, stream=False)
    context.response = context.openai.chat_completions(body)


@when("an OpenAI client asks for a chat completion limited to {tokens:d} tokens")
def step_chat_completion_limited(context: Context, tokens: int) -> None:
    """A chat completion with max_tokens, on a prompt that invites a long answer."""
    body = openai_api.chat_completion_body(context.settings.model, "Write a long story about a dragon.", stream=False, max_tokens=tokens)
    context.response = context.openai.chat_completions(body)


@then("the response has the fields of a chat completion")
def step_chat_completion_shape(context: Context) -> None:
    """The body matches the chat completion shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), CHAT_COMPLETION), empty(), response.describe())


@then("the usage adds up")
def step_usage_adds_up(context: Context) -> None:
    """total_tokens is prompt_tokens plus completion_tokens."""
    response: Exchange = context.response
    usage = response.json()["usage"]
    expected = usage["prompt_tokens"] + usage["completion_tokens"]
    assert_that(usage["total_tokens"], equal_to(expected), response.describe())


@then('the finish reason is "{reason}"')
def step_finish_reason(context: Context, reason: str) -> None:
    """finish_reason of the first choice."""
    response: Exchange = context.response
    finish = response.json()["choices"][0]["finish_reason"]
    assert_that(finish, equal_to(reason), response.describe())


@then("at most {tokens:d} completion tokens were used")
def step_completion_tokens_at_most(context: Context, tokens: int) -> None:
    """usage.completion_tokens does not exceed the budget."""
    response: Exchange = context.response
    used = response.json()["usage"]["completion_tokens"]
    assert_that(used, less_than_or_equal_to(tokens), response.describe())


@when("an OpenAI client asks for a text completion")
def step_completion(context: Context) -> None:
    """A non-streamed legacy completion."""
    body = openai_api.completion_body(context.settings.model, PROMPT, stream=False)
    context.response = context.openai.completions(body)


@then("the response has the fields of a text completion")
def step_completion_shape(context: Context) -> None:
    """The body matches the legacy completion shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), COMPLETION), empty(), response.describe())


@when("an OpenAI client embeds a batch of {count:d} texts")
def step_embed_batch(context: Context, count: int) -> None:
    """POST /v1/embeddings with a list of strings."""
    body = {"model": context.settings.model, "input": EMBED_BATCH[:count]}
    context.response = context.openai.embeddings(body)


@then("the response has the fields of an OpenAI embedding list")
def step_embedding_list_shape(context: Context) -> None:
    """The body matches OpenAI's embedding list shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), EMBEDDING_LIST), empty(), response.describe())


@then("the vectors are indexed 0 to {last:d} in order")
def step_vector_indexes(context: Context, last: int) -> None:
    """data[i].index is i for every item."""
    response: Exchange = context.response
    indexes = [item["index"] for item in response.json()["data"]]
    assert_that(indexes, equal_to(list(range(last + 1))), response.describe())


@then("every OpenAI vector has unit length")
def step_openai_unit_length(context: Context) -> None:
    """Each vector's L2 norm is 1, as Ollama's compatibility layer normalises them."""
    response: Exchange = context.response
    for item in response.json()["data"]:
        norm = l2_norm(item["embedding"])
        assert_that(norm, close_to(1.0, UNIT_LENGTH_TOLERANCE), response.describe())
