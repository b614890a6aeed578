"""Steps for /api/embed and the legacy /api/embeddings.

Example:
    When a client embeds a batch of 4 texts
    Then there are 4 vectors
"""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    close_to,
    empty,
    equal_to,
    greater_than,
    has_length,
)

from support import ollama
from support.http import Exchange
from support.shapes import (
    EMBED,
    EMBEDDINGS,
    shape_problems,
)
from support.vectors import cosine, l2_norm, misplaced

UNIT_LENGTH_TOLERANCE = 1e-3
EMBED_BATCH = ["The sky is blue", "Grass is green", "Snow is white", "Coal is black"]
"""Neither sorted nor reversed sorted, so a gateway that reorders the batch hands back the wrong vector."""
SAME_VECTOR = 0.9999


@when('a client embeds the text "{text}"')
def step_embed_text(context: Context, text: str) -> None:
    """POST /api/embed with one string."""
    context.response = context.ollama.embed({"model": context.settings.embedding_model, "input": text})


@when("a client embeds a batch of {count:d} texts out of sorted order, and each text alone")
def step_embed_batch_and_singles(context: Context, count: int) -> None:
    """POST /api/embed with a batch whose order is neither sorted nor reversed, then with each text on its own."""
    batch = EMBED_BATCH[:count]
    context.response = context.ollama.embed({"model": context.settings.embedding_model, "input": batch})
    context.singles = [context.ollama.embed({"model": context.settings.embedding_model, "input": text}) for text in batch]


@when('a client embeds the text "{text}" in {dimensions:d} dimensions')
def step_embed_dimensions(context: Context, text: str, dimensions: int) -> None:
    """POST /api/embed asking for fewer dimensions."""
    context.response = context.ollama.embed({"model": context.settings.embedding_model, "input": text, "dimensions": dimensions})


@when("a client embeds an empty input")
def step_embed_empty(context: Context) -> None:
    """POST /api/embed with an empty list."""
    context.response = context.ollama.embed({"model": context.settings.embedding_model, "input": []})


@when('a client embeds the text "{text}" twice')
def step_embed_twice(context: Context, text: str) -> None:
    """The same embedding request, twice."""
    body = {"model": context.settings.embedding_model, "input": text}
    context.responses = [context.ollama.embed(body), context.ollama.embed(body)]


@when('a client embeds the text "{text}" with both embedding endpoints')
def step_embed_both(context: Context, text: str) -> None:
    """/api/embed and the legacy /api/embeddings on the same text."""
    model = context.settings.embedding_model
    context.responses = [
        context.ollama.embed({"model": model, "input": text}),
        context.ollama.embeddings({"model": model, "prompt": text}),
    ]


@then("the response has Ollama's embed fields")
def step_embed_shape(context: Context) -> None:
    """The body matches Ollama's embed shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), EMBED), empty(), response.describe())


@then("there is {count:d} vector")
@then("there are {count:d} vectors")
def step_vector_count(context: Context, count: int) -> None:
    """The number of vectors returned."""
    response: Exchange = context.response
    assert_that(ollama.embed_vectors(response), has_length(count), response.describe())


@then("every vector has unit length")
def step_unit_length(context: Context) -> None:
    """Each vector's L2 norm is 1."""
    response: Exchange = context.response
    for vector in ollama.embed_vectors(response):
        assert_that(l2_norm(vector), close_to(1.0, UNIT_LENGTH_TOLERANCE), response.describe())


@then("each vector in the batch is the vector of the text at its position")
def step_batch_order(context: Context) -> None:
    """Vector i points the way the single-text embedding of input i points."""
    response: Exchange = context.response
    singles = [ollama.embed_vectors(single)[0] for single in context.singles]
    described = "\n".join(exchange.describe() for exchange in (response, *context.singles))
    assert_that(misplaced(ollama.embed_vectors(response), singles, SAME_VECTOR), empty(), described)


@then("every vector has {dimensions:d} numbers")
def step_dimensions(context: Context, dimensions: int) -> None:
    """Each vector has the given number of components."""
    response: Exchange = context.response
    for vector in ollama.embed_vectors(response):
        assert_that(vector, has_length(dimensions), response.describe())


@then("both vectors are identical")
def step_same_vectors(context: Context) -> None:
    """Two embeddings of the same text are equal."""
    first, second = context.responses
    assert_that(ollama.embed_vectors(second), equal_to(ollama.embed_vectors(first)), f"{first.describe()}\n{second.describe()}")


@then("the legacy response has one vector of the same length")
def step_legacy_shape(context: Context) -> None:
    """The legacy body matches its shape and its vector matches the modern one in length."""
    modern, legacy = context.responses
    body = ollama.ok_json(legacy)
    assert_that(shape_problems(body, EMBEDDINGS), empty(), legacy.describe())
    assert_that(body["embedding"], has_length(len(ollama.embed_vectors(modern)[0])), legacy.describe())


@then("the two vectors point the same way")
def step_same_direction(context: Context) -> None:
    """Cosine similarity of the modern and legacy vectors is 1."""
    modern, legacy = context.responses
    similarity = cosine(ollama.embed_vectors(modern)[0], ollama.ok_json(legacy)["embedding"])
    assert_that(similarity, close_to(1.0, UNIT_LENGTH_TOLERANCE), legacy.describe())


@then("the legacy vector is not rescaled to unit length")
def step_legacy_not_normalised(context: Context) -> None:
    """The legacy vector keeps the model's own scale."""
    _, legacy = context.responses
    norm = l2_norm(ollama.ok_json(legacy)["embedding"])
    assert_that(abs(norm - 1.0), greater_than(UNIT_LENGTH_TOLERANCE), legacy.describe())
