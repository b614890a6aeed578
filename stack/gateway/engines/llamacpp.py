"""llama.cpp in-process through llama-cpp-python: the engine Ollama embeds, on the same GGUF file."""

from __future__ import annotations

import codecs
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import NO_EMBEDDINGS, EngineUnavailable, Finish, InvalidInput, ModelFile, Piece, Sampling, TokenLogprob

DEFAULT_CONTEXT = 32768
"""The most context llama.cpp allocates for a model (a model trained on less gets its own window); requests are
truncated to their own num_ctx before they reach it. 32768 is Ollama's default window on a 24-47 GiB GPU and holds a
coding agent's first prompt (8.6k tokens from Codex); for Qwen2.5-Coder 1.5B it costs about 670 MiB more than 8192 did, with the
same load time and speed (measured 2026-12-05)."""


def _llama(path: Path, **options: Any) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as error:
        raise EngineUnavailable(f"llama-cpp-python is not installed: {error}") from None
    # Every layer on the GPU, as Ollama offloads all that fit; a build of llama.cpp without one ignores this.
    return Llama(model_path=str(path), verbose=False, n_gpu_layers=-1, **options)


class LlamaCppEngine:
    name = "llamacpp"
    max_parallel = 1
    """One llama.cpp context decodes one sequence at a time in llama-cpp-python."""

    def load(self, model: ModelFile) -> LlamaCppModel:
        return LlamaCppModel(model)


def _offloads() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


class LlamaCppModel:
    def __init__(self, model: ModelFile) -> None:
        self.context_length = min(model.context_length, DEFAULT_CONTEXT)
        self.embedding = model.embedding
        # An embedding model pools with the type its GGUF names; its whole input is one batch, as BERT attends both ways.
        self._llama = _llama(model.path, n_ctx=self.context_length, embedding=model.embedding,
                             **({"n_batch": self.context_length, "n_ubatch": self.context_length} if model.embedding else {}))
        self._lock = threading.Lock()
        self.size_bytes = model.path.stat().st_size
        # Every layer is offloaded (n_gpu_layers=-1) when this build of llama.cpp can offload at all, as in Ollama.
        self.vram_bytes = self.size_bytes if _offloads() else 0

    def tokenize(self, text: str) -> list[int]:
        with self._lock:
            return tokenize(self._llama, text)

    def detokenize(self, tokens: list[int]) -> str:
        with self._lock:
            return detokenize(self._llama, tokens)

    def generate(self, prompt: str, sampling: Sampling) -> Iterator[Piece | Finish]:
        grammar = None
        if sampling.json_schema is not None:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_json_schema(json.dumps(sampling.json_schema), verbose=False)
        prompt_tokens = self.tokenize(prompt)
        started = time.perf_counter()
        if sampling.logprobs is not None:
            return self._tokens(prompt_tokens, sampling, grammar, started)
        with self._lock:
            stream = self._llama.create_completion(
                prompt_tokens,
                max_tokens=sampling.max_tokens,
                temperature=sampling.temperature,
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                repeat_penalty=sampling.repeat_penalty,
                presence_penalty=sampling.presence_penalty,
                frequency_penalty=sampling.frequency_penalty,
                seed=sampling.seed,
                stop=list(sampling.stop),
                grammar=grammar,
                stream=True,
            )
        return self._pieces(stream, len(prompt_tokens), started)

    def _pieces(self, stream: Iterator[dict[str, Any]], prompt_tokens: int, started: float) -> Iterator[Piece | Finish]:
        first: float | None = None
        generated = 0
        reason: str | None = None
        try:
            while True:
                with self._lock:
                    chunk = next(stream, None)
                if chunk is None:
                    break
                if first is None:
                    first = time.perf_counter()
                choice = chunk["choices"][0]
                # The closing chunk carries the finish reason and, usually, no new token.
                if choice["text"] or not choice.get("finish_reason"):
                    generated += 1
                if choice["text"]:
                    yield Piece(choice["text"])
                if choice.get("finish_reason"):
                    reason = choice["finish_reason"]
            end = time.perf_counter()
            first = first or end
            yield Finish(
                reason="length" if reason == "length" else "stop",
                prompt_tokens=prompt_tokens,
                completion_tokens=generated,
                prompt_seconds=first - started,
                completion_seconds=end - first,
            )
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                with self._lock:
                    close()

    def _tokens(self, prompt_tokens: list[int], sampling: Sampling, grammar: Any, started: float) -> Iterator[Piece | Finish]:
        """Token by token, each with its log probability from the logits it was sampled from, as Ollama's runner
        computes them (create_completion gives them only with logits kept for the whole window, gigabytes)."""
        import llama_cpp

        llama = self._llama
        with self._lock:
            llama.set_seed(sampling.seed if sampling.seed is not None else int.from_bytes(os.urandom(4), "little"))
            tokens = llama.generate(
                prompt_tokens, top_k=sampling.top_k, top_p=sampling.top_p, min_p=sampling.min_p, temp=sampling.temperature,
                repeat_penalty=sampling.repeat_penalty, frequency_penalty=sampling.frequency_penalty,
                presence_penalty=sampling.presence_penalty, grammar=grammar,
            )
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        first: float | None = None
        generated = 0
        reason = "length"
        try:
            while generated < sampling.max_tokens:
                with self._lock:
                    token = next(tokens)
                    if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):
                        reason = "stop"
                        break
                    raw = bytes(llama.detokenize([token], special=True))
                    entry = _logprob_entry(llama, token, raw, sampling.logprobs or 0)
                first = first or time.perf_counter()
                generated += 1
                yield Piece(decoder.decode(raw), (entry,))
            rest = decoder.decode(b"", final=True)
            if rest:
                yield Piece(rest)
            end = time.perf_counter()
            first = first or end
            yield Finish(reason, len(prompt_tokens), generated, prompt_seconds=first - started, completion_seconds=end - first)
        finally:
            with self._lock:
                tokens.close()

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """Pooled vectors, not normalised, and the tokens read; a completion model answers llama-server's 501."""
        if not self.embedding:
            raise EngineUnavailable(NO_EMBEDDINGS)
        with self._lock:
            # A text with no tokens of its own once made llama_decode fail and corrupt the heap of a batch.
            if any(not self._llama.tokenize(text.encode(), add_bos=False) for text in texts):
                raise InvalidInput("Input content cannot be empty")
            vectors, count = self._llama.embed(texts, normalize=False, truncate=True, return_count=True)
        return [list(map(float, vector)) for vector in vectors], int(count)

    def close(self) -> None:
        with self._lock:
            self._llama.close()


def _logprob_entry(llama: Any, token: int, raw: bytes, alternatives: int) -> TokenLogprob:
    """The token's log probability under the logits it was just sampled from (still the context's last row)."""
    import llama_cpp
    import numpy

    vocabulary = llama.n_vocab()
    logits = numpy.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1), shape=(vocabulary,)).astype(numpy.float64)
    shifted = logits - logits.max()
    logprobs = shifted - numpy.log(numpy.exp(shifted).sum())
    top = tuple(
        TokenLogprob.of(bytes(llama.detokenize([int(other)], special=True)), float(logprobs[other]))
        for other in numpy.argsort(-logprobs, kind="stable")[:alternatives]
    )
    return TokenLogprob.of(raw, float(logprobs[token]), top)


def tokenize(llama: Any, text: str) -> list[int]:
    """Token ids of an already-rendered prompt: special tokens in the text are parsed, no BOS is added."""
    return list(llama.tokenize(text.encode(), add_bos=False, special=True))


def detokenize(llama: Any, tokens: list[int]) -> str:
    return bytes(llama.detokenize(tokens, special=True)).decode(errors="replace")
