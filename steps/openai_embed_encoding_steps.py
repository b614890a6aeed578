"""Steps for /v1/embeddings' encoding_format: base64 vectors are the float vectors, packed.

Example:
    When an OpenAI client embeds the same texts as floats and as base64
    Then each base64 vector decodes to the float vector at its index
"""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, empty

from support.http import Exchange
from support.vectors import base64_mismatches

TEXTS = ["The sky is blue because of Rayleigh scattering.", "Sunsets are red."]


@when("an OpenAI client embeds the same texts as floats and as base64")
def step_embed_both_encodings(context: Context) -> None:
    """The same batch with encoding_format float, then base64."""
    model = context.settings.embedding_model
    context.floats = context.openai.embeddings({"model": model, "input": TEXTS, "encoding_format": "float"})
    context.response = context.openai.embeddings({"model": model, "input": TEXTS, "encoding_format": "base64"})


@then("each base64 vector decodes to the float vector at its index")
def step_base64_equals_float(context: Context) -> None:
    """Little-endian float32s, as OpenAI's SDK decodes them, equal to the float answer within float32 rounding."""
    floats: Exchange = context.floats
    packed: Exchange = context.response
    problems = base64_mismatches(floats.json()["data"], packed.json()["data"])
    assert_that(problems, empty(), f"{floats.describe()}\n{packed.describe()}")
