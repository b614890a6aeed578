"""Reading a streamed or whole answer of either API into content times and the server's token counts.

Pure and synchronous, so the asyncio load generator and the gevent-patched Locust user share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

APIS = ("ollama-chat", "ollama-generate", "openai-chat", "openai-completions")
PATHS = {
    "ollama-chat": "/api/chat",
    "ollama-generate": "/api/generate",
    "openai-chat": "/v1/chat/completions",
    "openai-completions": "/v1/completions",
}


def request_body(api: str, model: str, prompt: str, max_tokens: int, stream: bool) -> dict[str, Any]:
    """The request each API expects for greedy decoding of at most `max_tokens` tokens."""
    if api.startswith("ollama"):
        body: dict[str, Any] = {"model": model, "stream": stream, "options": {"temperature": 0, "num_predict": max_tokens}}
        if api == "ollama-chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        return body
    body = {"model": model, "stream": stream, "temperature": 0, "max_tokens": max_tokens}
    if stream:
        body["stream_options"] = {"include_usage": True}
    if api == "openai-chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    return body


@dataclass
class Answer:
    """What one answer gave: when each non-empty content chunk arrived, and the server's counts."""

    content_times: list[float] = field(default_factory=list)
    text_chars: int = 0
    output_tokens: int | None = None
    prompt_tokens: int | None = None
    token_source: str = ""
    error: str = ""
    done: bool = False

    def tokens(self) -> tuple[int, str]:
        """Output tokens and where the count came from: the server's own count, else the content chunks."""
        if self.output_tokens is not None:
            return self.output_tokens, self.token_source
        return len(self.content_times), "chunks"


def _content(api: str, message: dict[str, Any]) -> str:
    if api == "ollama-chat":
        return str((message.get("message") or {}).get("content") or "")
    if api == "ollama-generate":
        return str(message.get("response") or "")
    choices = message.get("choices") or []
    if not choices:
        return ""
    if api == "openai-chat":
        part = choices[0].get("delta") or choices[0].get("message") or {}
        return str(part.get("content") or "")
    return str(choices[0].get("text") or "")


def read_message(api: str, message: dict[str, Any], at: float, answer: Answer) -> None:
    """Fold one decoded JSON object (a chunk, or a whole answer) into the answer."""
    if "error" in message:
        error = message["error"]
        answer.error = str(error.get("message") if isinstance(error, dict) else error)
        return
    text = _content(api, message)
    if text:
        answer.content_times.append(at)
        answer.text_chars += len(text)
    if api.startswith("ollama"):
        if message.get("done"):
            answer.done = True
            if "eval_count" in message:
                answer.output_tokens, answer.token_source = int(message["eval_count"]), "eval_count"
            if "prompt_eval_count" in message:
                answer.prompt_tokens = int(message["prompt_eval_count"])
        return
    usage = message.get("usage")
    if isinstance(usage, dict) and "completion_tokens" in usage:
        answer.output_tokens, answer.token_source = int(usage["completion_tokens"]), "usage"
        answer.prompt_tokens = int(usage.get("prompt_tokens", 0))
    if any(choice.get("finish_reason") for choice in message.get("choices") or []):
        answer.done = True


def read_line(api: str, line: str, at: float, answer: Answer) -> None:
    """One line of an NDJSON (Ollama) or SSE (OpenAI) stream; SSE comments, blanks and `[DONE]` carry nothing."""
    line = line.strip()
    if not line:
        return
    if api.startswith("openai"):
        if not line.startswith("data:"):
            return
        line = line[len("data:"):].strip()
        if line == "[DONE]":
            answer.done = True
            return
    try:
        message = json.loads(line)
    except ValueError:
        answer.error = f"not JSON: {line[:120]}"
        return
    if isinstance(message, dict):
        read_message(api, message, at, answer)
