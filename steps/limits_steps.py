"""Steps for what the stack does not do: requests a model here cannot serve, refused as Ollama refuses them."""

from __future__ import annotations

import base64

from behave import when
from behave.runner import Context

from support import ollama

# The smallest PNG: one transparent pixel. A model without vision must refuse it before looking at it.
ONE_PIXEL_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082")).decode()


@when("a client chats with an image attached")
def step_chat_image(context: Context) -> None:
    """A user message carrying one base64 PNG in `images`, as ollama-python sends a picture."""
    message = {**ollama.user("What is in this picture?"), "images": [ONE_PIXEL_PNG]}
    body = ollama.chat_body(context.settings.model, [message], stream=False, options=ollama.options(2))
    context.response = context.ollama.chat(body)
