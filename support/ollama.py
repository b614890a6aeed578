"""Requests to Ollama's native API, built the way real clients build them."""

from __future__ import annotations

from typing import Any

from hamcrest import assert_that, equal_to

from support.http import Exchange, HttpClient
from support.polling import wait_until

PROMPT = "Why is the sky blue?"
# Chat templates such as SmolLM2's insert a default system prompt when none is given, so a system
# prompt only shows up as extra prompt tokens when it is longer than any such default.
LONG_SYSTEM_PROMPT = (
    "You are a meteorologist with thirty years of experience in atmospheric physics. You explain "
    "weather and optics to curious students in plain words, you always give the physical cause "
    "first, and you finish every answer with one practical example from daily life."
)
# Temperature 0 makes a mistral.rs answer deterministic (it has no per-request seed); the seed
# does the same on Ollama itself.
DETERMINISTIC = {"temperature": 0, "seed": 42}


def options(num_predict: int, **extra: Any) -> dict[str, Any]:
    """Deterministic sampling options with a small token budget."""
    return {**DETERMINISTIC, "num_predict": num_predict, **extra}


def generate_body(model: str, prompt: str, *, stream: bool, num_predict: int = 8, **extra: Any) -> dict[str, Any]:
    """A /api/generate request."""
    return {
        "model": model,
        "prompt": prompt,
        "stream": stream,
        "options": options(num_predict),
        **extra,
    }


def chat_body(
    model: str,
    messages: list[dict[str, Any]],
    *,
    stream: bool,
    num_predict: int = 8,
    **extra: Any,
) -> dict[str, Any]:
    """A /api/chat request."""
    return {
        "model": model,
        "messages": messages,
        "stream": stream,
        "options": options(num_predict),
        **extra,
    }


def user(content: str) -> dict[str, str]:
    """A user message."""
    return {"role": "user", "content": content}


def system(content: str) -> dict[str, str]:
    """A system message."""
    return {"role": "system", "content": content}


def assistant(content: str) -> dict[str, str]:
    """An assistant message, as a client replays it in a multi-turn history."""
    return {"role": "assistant", "content": content}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "The city"}},
            "required": ["location"],
        },
    },
}

WEATHER_CALL_FORMAT = {
    "type": "object",
    "properties": {
        "name": {"const": "get_weather"},
        "arguments": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
    "required": ["name", "arguments"],
}
"""A `format` that admits nothing but a call of WEATHER_TOOL, so even a tiny model exercises the tool-call path."""


class OllamaClient:
    """The native endpoints, each returning the recorded exchange."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def heartbeat(self) -> Exchange:
        """GET / (Ollama's liveness probe)."""
        return self.http.get("/")

    def version(self) -> Exchange:
        """GET /api/version."""
        return self.http.get("/api/version")

    def tags(self) -> Exchange:
        """GET /api/tags."""
        return self.http.get("/api/tags")

    def show(self, model: str, key: str = "model") -> Exchange:
        """POST /api/show, naming the model under ``model`` or the older ``name``."""
        return self.http.post("/api/show", {key: model})

    def ps(self) -> Exchange:
        """GET /api/ps."""
        return self.http.get("/api/ps")

    def generate(self, body: dict[str, Any]) -> Exchange:
        """POST /api/generate."""
        return self.http.post("/api/generate", body)

    def chat(self, body: dict[str, Any]) -> Exchange:
        """POST /api/chat."""
        return self.http.post("/api/chat", body)

    def embed(self, body: dict[str, Any]) -> Exchange:
        """POST /api/embed."""
        return self.http.post("/api/embed", body)

    def embeddings(self, body: dict[str, Any]) -> Exchange:
        """POST /api/embeddings (the legacy single-vector endpoint)."""
        return self.http.post("/api/embeddings", body)


def listed_name(model: str) -> str:
    """The name Ollama's lists use for a model: the tag is always shown, ``latest`` by default."""
    last_part = model.rsplit("/", 1)[-1]
    return model if ":" in last_part else f"{model}:latest"


def wait_unlisted(client: OllamaClient, model: str, timeout_s: float) -> tuple[bool, Exchange]:
    """Poll /api/ps until it no longer lists the model; whether it went in time, and the last listing."""
    expected = listed_name(model)
    last: list[Exchange] = [client.ps()]

    def unlisted() -> bool:
        last[0] = client.ps()
        return expected not in [entry.get("model") for entry in last[0].json().get("models") or []]

    return wait_until(unlisted, timeout_s, 0.05), last[0]


def ok_json(exchange: Exchange) -> dict[str, Any]:
    """The body of an exchange that must have answered 200."""
    assert_that(exchange.status, equal_to(200), exchange.describe())
    body: dict[str, Any] = exchange.json()
    return body


def prompt_tokens(exchange: Exchange) -> int:
    """prompt_eval_count of a successful final object (0 when Ollama omits it)."""
    count: int = ok_json(exchange).get("prompt_eval_count", 0)
    return count


def embed_vectors(exchange: Exchange) -> list[list[float]]:
    """The vectors of a successful /api/embed answer."""
    vectors: list[list[float]] = ok_json(exchange)["embeddings"]
    return vectors
