"""Steps for what /v1/chat/completions does with what a model cannot do: reasoning efforts and images.

Example:
    When an OpenAI client asks a model that cannot think for a chat completion with reasoning effort "high"
    Then the response is an OpenAI error saying the model as sent "does not support thinking"
"""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than

from support import openai_api
from support.http import Exchange
from support.native_rules import qualified_name
from support.ollama import PROMPT

PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
"""A one-pixel PNG, so the refusal is about the model, not about the image."""


@when('an OpenAI client asks a model that cannot think for a chat completion with reasoning effort "{effort}"')
def step_reasoning_effort(context: Context, effort: str) -> None:
    """The model under test, which has no thinking capability, asked for a reasoning effort."""
    body = openai_api.chat_completion_body(context.settings.model, PROMPT, stream=False, reasoning_effort=effort)
    context.response = context.openai.chat_completions(body)


@when("an OpenAI client sends a model without vision an image as a {kind}")
def step_image(context: Context, kind: str) -> None:
    """A question with an image part: a base64 data URI or an https URL."""
    url = {"base64 data URI": f"data:image/png;base64,{PIXEL}", "https URL": "https://example.com/pixel.png"}[kind]
    content = [{"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": {"url": url}}]
    body = openai_api.chat_completion_body(context.settings.model, "", stream=False, messages=[{"role": "user", "content": content}])
    context.response = context.openai.chat_completions(body)


@then('the response is an OpenAI error saying the model as sent "{text}"')
def step_error_names_model_as_sent(context: Context, text: str) -> None:
    """Ollama's capability error: the model's name as the client sent it, Go-quoted, then the text."""
    response: Exchange = context.response
    error = response.json().get("error") or {}
    assert_that((error.get("type"), error.get("message")), equal_to(("invalid_request_error", f'"{context.settings.model}" {text}')), response.describe())


@then('the response is an OpenAI error naming the model in full and saying "{text}"')
def step_error_names_model_in_full(context: Context, text: str) -> None:
    """A scheduling capability error: the fully qualified name, then the text."""
    response: Exchange = context.response
    error = response.json().get("error") or {}
    assert_that((error.get("type"), error.get("message")), equal_to(("invalid_request_error", f"{qualified_name(context.settings.model)} {text}")), response.describe())


@then("the answer is in the content, with no reasoning")
def step_content_without_reasoning(context: Context) -> None:
    """Content not empty and no reasoning field: a model that cannot think has nothing to put there (ollama#15288, #9137)."""
    response: Exchange = context.response
    message = openai_api.choice(response).get("message") or {}
    assert_that(len(message.get("content") or ""), greater_than(0), response.describe())
    assert_that([field for field in ("reasoning", "reasoning_content") if field in message], equal_to([]), response.describe())
