"""Named bad requests for the error tables, built for the model under test.

One body serves every native endpoint: Ollama ignores unknown keys, so a body carrying ``prompt``,
``messages`` and ``input`` is read by generate, chat, embed and embeddings alike, and only the
defect the name describes decides the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

PROMPT = "Why is the sky blue?"
UNKNOWN_MODEL = "no-such-model"


def _valid(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": PROMPT,
        "messages": [{"role": "user", "content": PROMPT}],
        "input": PROMPT,
        "stream": False,
        # A request that is wrongly accepted must still end quickly, on either API.
        "options": {"num_predict": 1},
        "max_tokens": 1,
    }


def _with(**changes: Any) -> Callable[[str], bytes]:
    def build(model: str) -> bytes:
        body = _valid(model)
        for key, value in changes.items():
            if value is _DROP:
                body.pop(key, None)
            else:
                body[key] = value
        return json.dumps(body).encode()

    return build


_DROP = object()

BUILDERS: dict[str, Callable[[str], bytes]] = {
    "an unknown model": _with(model=UNKNOWN_MODEL),
    "a request without a model": _with(model=_DROP),
    "an empty body": lambda model: b"",
    "malformed JSON": lambda model: b'{"model": "' + model.encode() + b'", "prompt": ',
    "a prompt that is not a string": _with(prompt=1),
    "a stream flag that is a string": _with(stream="false"),
    "messages that are not a list": _with(messages="hello"),
    "a keep_alive without a unit": _with(keep_alive="300"),
    "a keep_alive that is not a duration": _with(keep_alive="abc"),
    "an option of the wrong type": _with(options={"temperature": "hot"}),
    "stop given as a string": _with(options={"stop": "\n"}),
    "a raw prompt with a system prompt": _with(raw=True, system="Be brief."),
    "an invalid format": _with(format="xml"),
    "an empty message list": _with(messages=[]),
    "no input": _with(input=_DROP),
    "an invalid model name": _with(model="bad name!"),
    "a think value that is not a level": _with(think="x"),
    "top_logprobs out of range": _with(top_logprobs=30),
    "an image that is not base64": _with(images=["%%%"]),
    "an input that is not text": _with(input=1),
    "an unknown reasoning effort": _with(reasoning_effort="x"),
    "a temperature given as text": _with(temperature="hot"),
    "an unsupported encoding format": _with(encoding_format="hex"),
    "message content that is not text": _with(messages=[{"role": "user", "content": 1.5}]),
    "an empty input": _with(input=""),
    "an embedding batch with an empty text": _with(input=[""]),
    "an embedding batch ending in an empty text": _with(input=["a", ""]),
    "an empty keep_alive": _with(keep_alive=""),
    "a model name that is a huge number": _with(model=2**63),
    "a format whose properties are not an object": _with(format={"type": "object", "properties": 5}),
    "a format with an unknown type": _with(format={"type": "objectx"}),
    "an image given by URL": _with(
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://example.invalid/a.png"}}]}]
    ),
}


def bad_request_body(name: str, model: str) -> bytes:
    """The body of the named bad request; raises KeyError naming the known ones."""
    if name not in BUILDERS:
        raise KeyError(f"no bad request named {name!r}; known: {', '.join(BUILDERS)}")
    return BUILDERS[name](model)


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """``"POST /api/chat"`` -> ``("POST", "/api/chat")``."""
    method, _, path = endpoint.partition(" ")
    return method.upper(), path
