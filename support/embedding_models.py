"""Requests that ask a model for what it may not do: embeddings of a completion model, answers of an embedding model."""

from __future__ import annotations

from typing import Any

from support.http import Exchange
from support.ollama import OllamaClient
from support.openai_api import OpenAIClient

EMBEDDING_PATHS = ("/api/embed", "/api/embeddings", "/v1/embeddings")
TEXT = "The sky is blue"
QUESTION = "Why is the sky blue?"


def ask_embedding(ollama: OllamaClient, openai: OpenAIClient, endpoint: str, model: str) -> Exchange:
    """One text to embed, in the form the endpoint takes (`POST /api/embed`, `POST /api/embeddings`, `POST /v1/embeddings`)."""
    if endpoint == "POST /api/embed":
        return ollama.embed({"model": model, "input": TEXT})
    if endpoint == "POST /api/embeddings":
        return ollama.embeddings({"model": model, "prompt": TEXT})
    if endpoint == "POST /v1/embeddings":
        return openai.embeddings({"model": model, "input": TEXT})
    raise ValueError(f"not an embedding endpoint: {endpoint}")


def ask_answer(ollama: OllamaClient, endpoint: str, model: str) -> Exchange:
    """One question, not streamed, to `POST /api/generate` or `POST /api/chat`."""
    if endpoint == "POST /api/generate":
        return ollama.generate({"model": model, "prompt": QUESTION, "stream": False, "options": {"num_predict": 4}})
    if endpoint == "POST /api/chat":
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": QUESTION}], "stream": False,
                                "options": {"num_predict": 4}}
        return ollama.chat(body)
    raise ValueError(f"not a generation endpoint: {endpoint}")


def error_text(exchange: Exchange, openai_envelope: bool) -> str:
    """The error's message: Ollama's `{"error": text}`, or under /v1 OpenAI's envelope, whose type for any status but
    400 and 404 is `api_error`. A body of the wrong form gives a description of it instead, so no text matches."""
    body = exchange.json()
    error = body.get("error") if isinstance(body, dict) else None
    if openai_envelope:
        expected_type = {400: "invalid_request_error", 404: "not_found_error"}.get(exchange.status, "api_error")
        if isinstance(error, dict) and error.get("type") == expected_type and "param" in error and "code" in error:
            return str(error.get("message"))
        return f"not OpenAI's error envelope of type {expected_type}: {exchange.text[:300]}"
    return error if isinstance(error, str) else f"not Ollama's error object: {exchange.text[:300]}"


def model_for_endpoint(endpoint: str, model: str, embedding_model: str) -> str:
    """The model a request to `METHOD /path` names: the embedding model for an embedding endpoint, else the model."""
    return embedding_model if endpoint.split()[-1] in EMBEDDING_PATHS else model
