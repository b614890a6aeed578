"""Ollama's embedding operations: /api/embed (normalised vectors, one per input) and the legacy /api/embeddings.

Only an embedding model embeds (a GGUF that names a pooling type, served by a llama.cpp runner started with
--embedding); a completion model answers llama-server's 501, which Ollama passes on.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

from .durations import parse_keep_alive
from .engines import EngineUnavailable, LoadedModel, RunnerFailure
from .errors import GatewayError, bad_request, not_found
from .names import parse_name
from .options import check_options, resolve_num_ctx
from .scheduler import Scheduler
from .settings import Settings
from .store import ModelRecord
from .timestamps import ns
from .validation import typed

Chunk = dict[str, Any]


class Embeddings:
    """The embedding routes' work, given the settings, the scheduler and how the gateway finds a model by name."""

    def __init__(self, settings: Settings, scheduler: Scheduler, find: Callable[[str], ModelRecord | None]) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self._find = find

    async def embed(self, body: dict[str, Any]) -> Chunk:
        """POST /api/embed: L2-normalised vectors, one per input."""
        started = time.perf_counter()
        model = typed(body, "EmbedRequest", "model", "string") or ""
        value = body.get("input")
        keep_alive = parse_keep_alive(body.get("keep_alive"))
        options = check_options(body.get("options"))
        truncate = body.get("truncate", True) is not False
        dimensions = body.get("dimensions")
        if value is None or value == "" or value == []:
            inputs: list[str] = []
        elif isinstance(value, str):
            inputs = [value]
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            inputs = list(value)
        else:
            raise bad_request("invalid input type")
        if not model:
            raise not_found("model '' not found")
        record = self._model(model)
        async with self.scheduler.slot(record, keep_alive) as slot:
            ready = time.perf_counter()
            if not inputs:
                return {"model": model, "embeddings": []}
            num_ctx = resolve_num_ctx(options, record.parameters, self.settings.context_length, record.context_length)
            try:
                limit = num_ctx - _added_tokens(record)
                fitted = [await asyncio.to_thread(_fit_embedding_input, slot.runner.model, text, limit, truncate) for text in inputs]
                vectors, count = await _embed(slot.runner.model, fitted)
            except RunnerFailure as failure:
                # /api/embed answers a failure that carries no status of the runner's own with 400, as Ollama does.
                raise bad_request(failure.message) from None
        vectors = [_normalise(vector) for vector in vectors]
        if isinstance(dimensions, int) and 0 < dimensions < len(vectors[0]):
            vectors = [_normalise(vector[:dimensions]) for vector in vectors]
        response: Chunk = {"model": model, "embeddings": vectors, "total_duration": ns(time.perf_counter() - started), "load_duration": ns(ready - started), "prompt_eval_count": count}
        return {key: value for key, value in response.items() if value or key == "embeddings"}

    async def embeddings(self, body: dict[str, Any]) -> Chunk:
        """POST /api/embeddings, the legacy form: one vector, not normalised."""
        model = typed(body, "EmbeddingRequest", "model", "string") or ""
        prompt = typed(body, "EmbeddingRequest", "prompt", "string") or ""
        keep_alive = parse_keep_alive(body.get("keep_alive"))
        check_options(body.get("options"))
        if not model:
            raise bad_request("model is required")
        record = self._model(model)
        async with self.scheduler.slot(record, keep_alive) as slot:
            if not prompt:
                return {"embedding": []}
            vectors, _ = await _embed(slot.runner.model, [prompt])
        return {"embedding": vectors[0]}

    def _model(self, raw: str) -> ModelRecord:
        if parse_name(raw) is None:
            raise bad_request("invalid model name")
        record = self._find(raw)
        if record is None:
            raise not_found(f'model "{raw}" not found, try pulling it first')
        return record


async def _embed(model: LoadedModel, texts: list[str]) -> tuple[list[list[float]], int]:
    try:
        return await asyncio.to_thread(model.embed, texts)
    except EngineUnavailable as error:
        raise GatewayError(501, str(error)) from None


def _added_tokens(record: ModelRecord) -> int:
    """The tokens the tokenizer adds around a text (BERT's [CLS] and [SEP]), which Ollama takes off the input's limit."""
    values = record.metadata[0]
    return sum(1 for kind in ("bos", "eos") if values.get(f"tokenizer.ggml.add_{kind}_token", True) is not False)


def _fit_embedding_input(model: LoadedModel, text: str, limit: int, truncate: bool) -> str:
    if limit <= 0:
        raise bad_request("input after truncation exceeds maximum context length")
    tokens = model.tokenize(text)
    if len(tokens) <= limit:
        return text
    if not truncate:
        raise bad_request("the input length exceeds the context length")
    return model.detokenize(tokens[:limit])


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector
