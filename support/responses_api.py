"""Requests to OpenAI's Responses API (/v1/responses) and what its answers and event streams say."""

from __future__ import annotations

import json
from typing import Any

import zstandard

from support.http import Exchange, HttpClient
from support.shapes import Field, Kind, Shape

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
"""A flat Responses function tool: name and parameters at the top level, not under `function`."""

RESPONSE = Shape(
    "response",
    (
        Field("id", Kind.STRING),
        Field("object", Kind.STRING, const="response"),
        Field("created_at", Kind.INTEGER),
        Field("status", Kind.STRING, const="completed"),
        Field("model", Kind.STRING),
        Field("output", Kind.ARRAY),
        Field("output[].id", Kind.STRING),
        Field("output[].type", Kind.STRING),
        Field("usage", Kind.OBJECT),
        Field("usage.input_tokens", Kind.INTEGER),
        Field("usage.output_tokens", Kind.INTEGER),
        Field("usage.total_tokens", Kind.INTEGER),
        Field("tool_choice", Kind.STRING),
        Field("tools", Kind.ARRAY),
        Field("text", Kind.OBJECT),
        Field("temperature", Kind.NUMBER),
        Field("top_p", Kind.NUMBER),
        Field("parallel_tool_calls", Kind.BOOLEAN),
        Field("error", Kind.NULL),
        Field("incomplete_details", Kind.NULL),
        Field("previous_response_id", Kind.NULL),
        Field("metadata", Kind.OBJECT),
    ),
)

TEXT_EVENTS = (
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
)
"""Ollama's events for a text answer, in order; the delta repeats once per piece of text."""


def response_body(model: str, value: str | list[dict[str, Any]], *, max_output_tokens: int = 8, **extra: Any) -> dict[str, Any]:
    """A deterministic /v1/responses request; Responses has no seed, so temperature 0 alone fixes the answer."""
    return {"model": model, "input": value, "max_output_tokens": max_output_tokens, "temperature": 0, **extra}


def message_item(role: str, text: str) -> dict[str, Any]:
    """An input message item with one text part, as the SDKs write them."""
    part = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": part, "text": text}]}


def ok(exchange: Exchange) -> dict[str, Any]:
    """The body of a response that must have answered 200."""
    if exchange.status != 200:
        raise AssertionError(f"expected 200\n{exchange.describe()}")
    body: dict[str, Any] = exchange.json()
    return body


def output_text(response: dict[str, Any]) -> str:
    """What the SDKs call output_text: the text of every output_text part of every message item."""
    return "".join(
        part.get("text", "")
        for item in response.get("output", [])
        if item.get("type") == "message"
        for part in item.get("content", [])
        if part.get("type") == "output_text"
    )


def function_calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The function_call items of a response's output."""
    return [item for item in response.get("output", []) if item.get("type") == "function_call"]


def events(exchange: Exchange) -> list[tuple[str, dict[str, Any]]]:
    """The `event:` name and parsed `data:` of each SSE frame, in order; a non-JSON data line is kept as text."""
    found: list[tuple[str, dict[str, Any]]] = []
    for block in exchange.text.replace("\r\n", "\n").split("\n\n"):
        lines = block.split("\n")
        name = next((line[len("event:") :].strip() for line in lines if line.startswith("event:")), "")
        data = "\n".join(line[len("data:") :].removeprefix(" ") for line in lines if line.startswith("data:"))
        if not data:
            continue
        try:
            found.append((name, json.loads(data)))
        except ValueError:
            found.append((name, {"unparsed": data}))
    return found


def collapsed(names: list[str], repeated: str) -> list[str]:
    """The event names with each run of a repeated event (a delta) kept once, so the order reads as a list."""
    kept: list[str] = []
    for name in names:
        if not (name == repeated and kept and kept[-1] == repeated):
            kept.append(name)
    return kept


def zstd(body: dict[str, Any]) -> bytes:
    """A JSON body compressed as Codex compresses its requests."""
    return zstandard.ZstdCompressor().compress(json.dumps(body).encode())


BAD_REQUESTS: dict[str, dict[str, Any]] = {
    "an unknown model": {"model": "no-such-model"},
    "a request without a model": {"model": ""},
    "an input that is a number": {"input": 1},
    "an input item without a type": {"input": [{"content": "hello"}]},
    "an input item of an unknown type": {"input": [{"type": "banana"}]},
    "an image given by URL": {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://example.invalid/a.png"}]}]},
    "a file input": {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}]},
    "an unknown reasoning effort": {"reasoning": {"effort": "x"}},
}
"""Bad requests by name: each is a valid one-token request with one thing changed."""


def bad_request(name: str, model: str) -> dict[str, Any]:
    """The named bad request for the model under test; raises KeyError naming the known ones."""
    if name not in BAD_REQUESTS:
        raise KeyError(f"no bad Responses request named {name!r}; known: {', '.join(BAD_REQUESTS)}")
    return {**response_body(model, "Hello", max_output_tokens=1), **BAD_REQUESTS[name]}


class ResponsesClient:
    """POST /v1/responses on an HTTP client rooted at the OpenAI base URL (ending in /v1)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def create(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/responses with a JSON body."""
        return self.http.post("/responses", body)

    def create_compressed(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/responses with the body compressed as zstd, as Codex sends it."""
        headers = {"Content-Type": "application/json", "Content-Encoding": "zstd"}
        return self.http.send("POST", "/responses", content=zstd(body), headers=headers)
