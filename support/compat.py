"""What the Responses and Messages features share: their questions, and the answer text of either API's body.

Both APIs run over the native chat, so each of their answers is checked against /api/chat for the same messages.
"""

from __future__ import annotations

from typing import Any

from support import ollama
from support.anthropic_api import text_of
from support.http import Exchange
from support.responses_api import output_text

QUESTION = "Why is the sky blue?"
EARLIER = [("user", "My cat is called Tom."), ("assistant", "Nice to meet Tom!")]
FOLLOW_UP = "What is my cat called?"
BUDGET = 8
TOOL_RESULT = "31 degrees and sunny"
TOOL_INSTRUCTIONS = "Call a tool at most once; once you have its result, answer the user in one sentence."
"""Without it the small capable model calls the tool again instead of reading the result."""


def answer_text(body: dict[str, Any]) -> str:
    """The text of a Responses response (its output_text parts) or of an Anthropic message (its text blocks)."""
    return output_text(body) if "output" in body else text_of(body)


def native_twin(client: ollama.OllamaClient, model: str, messages: list[dict[str, str]], budget: int) -> Exchange:
    """/api/chat for the same messages and budget at temperature 0."""
    return client.chat(ollama.chat_body(model, messages, stream=False, num_predict=budget))
