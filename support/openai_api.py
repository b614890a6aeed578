"""Requests to the OpenAI-compatible endpoints under /v1."""

from __future__ import annotations

from typing import Any

from support.http import Exchange, HttpClient


def chat_completion_body(model: str, prompt: str, *, stream: bool, max_tokens: int = 8, **extra: Any) -> dict[str, Any]:
    """A deterministic /v1/chat/completions request with one user message."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": stream,
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 42,
        **extra,
    }


def completion_body(model: str, prompt: str, *, stream: bool, max_tokens: int = 8, **extra: Any) -> dict[str, Any]:
    """A deterministic /v1/completions request."""
    return {
        "model": model,
        "prompt": prompt,
        "stream": stream,
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 42,
        **extra,
    }


class OpenAIClient:
    """The /v1 endpoints, each returning the recorded exchange.

    ``http`` is rooted at the OpenAI base URL, which ends in ``/v1`` as OpenAI SDKs expect.
    """

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def models(self) -> Exchange:
        """GET /v1/models."""
        return self.http.get("/models")

    def model(self, model_id: str) -> Exchange:
        """GET /v1/models/{id}."""
        return self.http.get(f"/models/{model_id}")

    def chat_completions(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/chat/completions."""
        return self.http.post("/chat/completions", body)

    def completions(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/completions."""
        return self.http.post("/completions", body)

    def embeddings(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/embeddings."""
        return self.http.post("/embeddings", body)
