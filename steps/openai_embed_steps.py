"""Steps for OpenAI's embeddings under /v1/embeddings.

Example:
    When an OpenAI client embeds a batch of texts out of sorted order, and each text alone
    Then each OpenAI vector in the batch is the vector of the text at its index
"""

from __future__ import annotations

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import assert_that, close_to, empty, equal_to

from support import openai_api
from support.http import Exchange
from support.shapes import EMBEDDING_LIST, shape_problems
from support.vectors import l2_norm, misplaced

PROMPT = "Why is the sky blue?"
EMBED_BATCH = ["Snow is white", "The sky is blue", "Grass is green"]
"""Out of sorted order, so a gateway that sorts or reverses the batch hands back the wrong vector."""
UNIT_LENGTH_TOLERANCE = 1e-3
SAME_VECTOR = 0.9999

register_type(NameForm=openai_api.NAME_FORM)


@when("an OpenAI client embeds a batch of texts out of sorted order, and each text alone")
def step_embed_batch_and_singles(context: Context) -> None:
    """POST /v1/embeddings with the batch, then with each text on its own."""
    model = context.settings.embedding_model
    context.response = context.openai.embeddings({"model": model, "input": EMBED_BATCH})
    context.singles = [context.openai.embeddings({"model": model, "input": text}) for text in EMBED_BATCH]


@when("an OpenAI client embeds a text naming the embedding model {form:NameForm}")
def step_embed_named(context: Context, form: str) -> None:
    """POST /v1/embeddings naming the embedding model in another spelling."""
    model = openai_api.model_named(context.settings.embedding_model, form)
    context.response = context.openai.embeddings({"model": model, "input": PROMPT})


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


@then("each OpenAI vector in the batch is the vector of the text at its index")
def step_openai_batch_order(context: Context) -> None:
    """data[i] points the way the single-text embedding of input i points."""
    response: Exchange = context.response
    batch = [item["embedding"] for item in sorted(response.json()["data"], key=lambda item: item["index"])]
    singles = [single.json()["data"][0]["embedding"] for single in context.singles]
    assert_that(misplaced(batch, singles, SAME_VECTOR), empty(), "\n".join(exchange.describe() for exchange in (response, *context.singles)))
