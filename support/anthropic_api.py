"""Requests to Anthropic's Messages API (/v1/messages) and what its answers and event streams say."""

from __future__ import annotations

from typing import Any

from support.http import Exchange, HttpClient
from support.responses_api import zstd
from support.shapes import Field, Kind, Shape

WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}

MESSAGE = Shape(
    "message",
    (
        Field("id", Kind.STRING),
        Field("type", Kind.STRING, const="message"),
        Field("role", Kind.STRING, const="assistant"),
        Field("model", Kind.STRING),
        Field("content", Kind.ARRAY),
        Field("content[].type", Kind.STRING),
        Field("stop_reason", Kind.STRING),
        Field("usage", Kind.OBJECT),
        Field("usage.input_tokens", Kind.INTEGER),
        Field("usage.output_tokens", Kind.INTEGER),
    ),
)

ERROR = Shape(
    "Anthropic error",
    (
        Field("type", Kind.STRING, const="error"),
        Field("error", Kind.OBJECT),
        Field("error.type", Kind.STRING),
        Field("error.message", Kind.STRING),
        Field("request_id", Kind.STRING),
    ),
)

TEXT_EVENTS = ("message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop")
"""The events of a text answer, in order; the delta repeats once per piece of text."""

def message_body(model: str, messages: list[dict[str, Any]], *, max_tokens: int = 8, **extra: Any) -> dict[str, Any]:
    """A deterministic /v1/messages request: temperature 0, since Messages leaves it to the model otherwise."""
    return {"model": model, "max_tokens": max_tokens, "messages": messages, "temperature": 0, **extra}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def ok(exchange: Exchange) -> dict[str, Any]:
    """The body of a message that must have answered 200."""
    if exchange.status != 200:
        raise AssertionError(f"expected 200\n{exchange.describe()}")
    body: dict[str, Any] = exchange.json()
    return body


def text_of(message: dict[str, Any]) -> str:
    """The text of every text block of a message."""
    return "".join(block.get("text", "") for block in message.get("content") or [] if block.get("type") == "text")


def tool_uses(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in message.get("content") or [] if block.get("type") == "tool_use"]


BAD_REQUESTS: dict[str, dict[str, Any]] = {
    "an unknown model": {"model": "no-such-model"},
    "a request without a model": {"model": ""},
    "no max_tokens": {"max_tokens": None},
    "a max_tokens of 0": {"max_tokens": 0},
    "an empty message list": {"messages": []},
    "an image given by URL": {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://example.invalid/a.png"}}]}]},
    "a tool_use block without an id": {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "name": "get_weather", "input": {}}]}]},
}
"""Bad requests by name: each is a valid one-token request with one thing changed (None drops the field)."""


def bad_request(name: str, model: str) -> dict[str, Any]:
    """The named bad request for the model under test; raises KeyError naming the known ones."""
    if name not in BAD_REQUESTS:
        raise KeyError(f"no bad Messages request named {name!r}; known: {', '.join(BAD_REQUESTS)}")
    body = {**message_body(model, [user("Hello")], max_tokens=1), **BAD_REQUESTS[name]}
    return {key: value for key, value in body.items() if value is not None}


class AnthropicClient:
    """POST /v1/messages and /v1/messages/count_tokens on an HTTP client rooted at the OpenAI base URL (ending in /v1)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def create(self, body: dict[str, Any], query: str = "") -> Exchange:
        """POST /v1/messages, with the query the SDK's beta calls append if given."""
        return self.http.post(f"/messages{query}", body)

    def count_tokens(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/messages/count_tokens."""
        return self.http.post("/messages/count_tokens", body)

    def create_compressed(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/messages with the body compressed as zstd."""
        headers = {"Content-Type": "application/json", "Content-Encoding": "zstd"}
        return self.http.send("POST", "/messages", content=zstd(body), headers=headers)
