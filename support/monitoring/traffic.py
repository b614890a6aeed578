"""Known traffic for the monitoring checks: requests whose count, status and tokens the checks then look for."""

from __future__ import annotations

import json
from dataclasses import dataclass

from support.http import Exchange
from support.ollama import OllamaClient, chat_body, generate_body, user
from support.openai_api import OpenAIClient, chat_completion_body

PROMPT = "Name three colours."


@dataclass(frozen=True)
class Kind:
    """A kind of request the scenarios name, with the endpoint label the gateway counts it under."""

    endpoint: str
    description: str


KINDS = {
    "chat": Kind("/api/chat", "a valid native chat request"),
    "generate": Kind("/api/generate", "a valid native generate request"),
    "openai chat": Kind("/v1/chat/completions", "a valid OpenAI chat completion"),
    "bad chat": Kind("/api/chat", "a native chat request whose messages are not a list (400)"),
    "unknown model": Kind("/api/chat", "a native chat request for a model that does not exist (404)"),
}


def send(kind: str, model: str, ollama: OllamaClient, openai: OpenAIClient, *, stream: bool = False, num_predict: int = 8) -> Exchange:
    """One request of a kind, for a model."""
    if kind == "chat":
        return ollama.chat(chat_body(model, [user(PROMPT)], stream=stream, num_predict=num_predict))
    if kind == "generate":
        return ollama.generate(generate_body(model, PROMPT, stream=stream, num_predict=num_predict))
    if kind == "openai chat":
        return openai.chat_completions(chat_completion_body(model, PROMPT, stream=stream, max_tokens=num_predict))
    if kind == "bad chat":
        return ollama.chat({"model": model, "messages": "not a list"})
    if kind == "unknown model":
        return ollama.chat(chat_body("no-such-model:latest", [user(PROMPT)], stream=stream))
    raise KeyError(f"unknown kind of request {kind!r}; known: {', '.join(KINDS)}")


def final_chunk(exchange: Exchange) -> dict[str, object]:
    """The object that carries Ollama's metrics: the whole body, or a stream's last line."""
    lines = [line for line in exchange.text.splitlines() if line.strip()]
    final: dict[str, object] = json.loads(lines[-1]) if lines else {}
    return final


def token_counts(exchange: Exchange) -> tuple[int, int]:
    """The prompt_eval_count and eval_count a native client was told (0 where Ollama omits a zero)."""
    final = final_chunk(exchange)
    return int(str(final.get("prompt_eval_count", 0))), int(str(final.get("eval_count", 0)))


def client_ttft_s(exchange: Exchange) -> float:
    """Seconds from sending a streamed native request to the arrival of its first chunk."""
    if not exchange.newline_times_s:
        raise ValueError(f"the stream had no chunks: {exchange.describe()}")
    return exchange.newline_times_s[0]
