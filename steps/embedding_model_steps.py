"""Steps for what each kind of model does: embeddings only from an embedding model, answers only from a completion model.

Example:
    When a client asks the model under test for an embedding on POST /api/embed
    Then the error, in its endpoint's own shape, is "This server does not support embeddings. Start it with `--embeddings`"
"""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to

from support import ollama
from support.embedding_models import ask_answer, ask_embedding, error_text
from support.embedding_reference import reference_problems, token_count
from support.http import Exchange

REFERENCE_BATCH = ["why is the sky blue?", "Grass is green, isn't it?", "A naïve café serves 12 teas"]
"""Questions, punctuation, an accent and a number: each a path of the tokenizer a conversion could get wrong."""
SAME_DIRECTION = 0.99
"""Ollama's own embedding tests accept a vector whose cosine with the reference is at least this."""


@when("a client asks the model under test for an embedding on {endpoint}")
def step_ask_completion_model_to_embed(context: Context, endpoint: str) -> None:
    """One text to embed, sent to the completion model under test."""
    context.endpoint = endpoint
    context.response = ask_embedding(context.ollama, context.openai, endpoint, context.settings.model)


@when("a client asks the embedding model for an answer on {endpoint}")
def step_ask_embedding_model_to_answer(context: Context, endpoint: str) -> None:
    """One question, sent to the embedding model."""
    context.endpoint = endpoint
    context.response = ask_answer(context.ollama, endpoint, context.settings.embedding_model)


@when("a client shows the embedding model")
def step_show_embedding_model(context: Context) -> None:
    """POST /api/show for the embedding model."""
    context.response = context.ollama.show(context.settings.embedding_model)


@when("a client embeds a batch of 3 texts with the embedding model")
def step_embed_reference_batch(context: Context) -> None:
    """POST /api/embed with texts whose reference vectors the steps compute."""
    context.texts = REFERENCE_BATCH
    context.response = context.ollama.embed({"model": context.settings.embedding_model, "input": REFERENCE_BATCH})


@then("the error, in its endpoint's own shape, is \"{message}\"")
def step_error_says(context: Context, message: str) -> None:
    """The error's text, in Ollama's error object or, under /v1, in OpenAI's envelope of the status's type."""
    response: Exchange = context.response
    assert_that(error_text(response, context.endpoint.split()[-1].startswith("/v1/")), equal_to(message), response.describe())


@then("the model under test still answers a prompt")
def step_still_answers(context: Context) -> None:
    """A short generation from the same model succeeds after the refusal."""
    exchange = context.ollama.generate(ollama.generate_body(context.settings.model, "Say hi", stream=False, num_predict=4))
    assert_that(ollama.ok_json(exchange).get("done"), equal_to(True), exchange.describe())


@then('the model\'s capabilities are exactly "{capabilities}"')
def step_capabilities_exactly(context: Context, capabilities: str) -> None:
    """/api/show's capabilities list, in full."""
    response: Exchange = context.response
    assert_that(response.json().get("capabilities"), equal_to(capabilities.split(", ")), response.describe())


@then("each vector points the way the reference computed from the model's weights points")
def step_reference_vectors(context: Context) -> None:
    """Each served vector has a cosine of at least 0.99 with the numpy forward pass over the same safetensors."""
    response: Exchange = context.response
    assert_that(reference_problems(context.texts, ollama.embed_vectors(response), SAME_DIRECTION), empty(), response.describe())


@then("the batch counts the tokens of every text, [CLS] and [SEP] included")
def step_token_count(context: Context) -> None:
    """prompt_eval_count is the sum of the texts' tokens as the model's own tokenizer reads them."""
    response: Exchange = context.response
    assert_that(ollama.prompt_tokens(response), equal_to(token_count(context.texts)), response.describe())
