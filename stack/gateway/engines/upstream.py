"""An upstream OpenAI-compatible server (`mistralrs serve`, vLLM) reached by URL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from .base import NO_EMBEDDINGS, EngineUnavailable, Finish, ModelFile, Piece, Sampling
from .llamacpp import _llama, detokenize, tokenize


class UpstreamEngine:
    name = "openai"
    max_parallel = 4
    """The upstream schedules its own batch; the gateway still bounds what it sends at once."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"

    def load(self, model: ModelFile) -> UpstreamModel:
        return UpstreamModel(self.base_url, model)


class UpstreamModel:
    """Generation goes upstream; tokens are counted locally with the GGUF's own vocabulary."""

    def __init__(self, base_url: str, model: ModelFile) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(600.0, connect=5.0))
        self._upstream_name = self._resolve_name(model.upstream_name)
        self._vocabulary = _llama(model.path, vocab_only=True)
        self._lock = threading.Lock()
        self.context_length = model.context_length
        self.size_bytes = model.path.stat().st_size

    def _resolve_name(self, wanted: str) -> str:
        try:
            listing = self._client.get("/models").json().get("data") or []
        except (httpx.HTTPError, ValueError) as error:
            raise EngineUnavailable(f"upstream {self._client.base_url} is not reachable: {error}") from None
        names = [entry.get("id") for entry in listing if isinstance(entry, dict)]
        if wanted in names:
            return wanted
        real = [name for name in names if name and name != "default"]
        return real[0] if real else "default"

    def tokenize(self, text: str) -> list[int]:
        with self._lock:
            return tokenize(self._vocabulary, text)

    def detokenize(self, tokens: list[int]) -> str:
        with self._lock:
            return detokenize(self._vocabulary, tokens)

    def generate(self, prompt: str, sampling: Sampling) -> Iterator[Piece | Finish]:
        body: dict[str, Any] = {
            "model": self._upstream_name,
            "prompt": prompt,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k,
            "min_p": sampling.min_p,
            "presence_penalty": sampling.presence_penalty,
            "frequency_penalty": sampling.frequency_penalty,
            "repetition_penalty": sampling.repeat_penalty,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "format", "schema": sampling.json_schema}}
        return self._pieces(body)

    def _pieces(self, body: dict[str, Any]) -> Iterator[Piece | Finish]:
        started = time.perf_counter()
        first: float | None = None
        reason = "stop"
        usage: dict[str, Any] = {}
        with self._client.stream("POST", "/completions", json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise EngineUnavailable(f"upstream answered {response.status_code}: {response.text}")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    break
                chunk = json.loads(payload)
                if chunk.get("usage"):
                    usage = chunk["usage"]
                for choice in chunk.get("choices") or []:
                    if first is None:
                        first = time.perf_counter()
                    if choice.get("text"):
                        yield Piece(choice["text"])
                    if choice.get("finish_reason"):
                        reason = choice["finish_reason"]
        end = time.perf_counter()
        first = first or end
        yield Finish(
            reason="length" if reason == "length" else "stop",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            prompt_seconds=first - started,
            completion_seconds=end - first,
        )

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """A completion model refuses as llama-server without --embedding does; embedding models load in llama.cpp."""
        raise EngineUnavailable(NO_EMBEDDINGS)

    def close(self) -> None:
        self._client.close()
