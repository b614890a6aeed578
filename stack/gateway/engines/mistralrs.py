"""mistral.rs in-process through its Python SDK."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from .base import NO_EMBEDDINGS, EngineUnavailable, Finish, ModelFile, Piece, Sampling, TokenLogprob

PASSTHROUGH_TEMPLATE = Path(__file__).with_name("passthrough.jinja")
"""The gateway renders prompts itself, as Ollama does; mistral.rs gets a template that passes them through."""


def _max_sequence_length(runner: Any) -> int | None:
    """The model's window as mistral.rs reads it; None from older builds such as mistralrs-cuda 0.6.0, which cannot say."""
    read = getattr(runner, "max_sequence_length", None)
    return read() if read is not None else None


class MistralRsEngine:
    name = "mistralrs"
    max_parallel = 1
    """mistral.rs 0.9.5 crashes on CPU GGUF with two or more concurrent sequences; one at a time is stable."""

    def load(self, model: ModelFile) -> MistralRsModel:
        return MistralRsModel(model)


class MistralRsModel:
    def __init__(self, model: ModelFile) -> None:
        try:
            from mistralrs import Runner, Which
        except ImportError as error:
            raise EngineUnavailable(f"mistralrs is not installed: {error}") from None
        # Runner is not thread-safe: every call into it, including each step of a stream, holds this lock.
        self._lock = threading.Lock()
        self._runner = Runner(
            # The SDK's stubs type the variants apart from Which itself, though a variant is what it expects.
            which=Which.GGUF(quantized_model_id=str(model.path.parent), quantized_filename=model.path.name),  # type: ignore[arg-type]
            max_seqs=MistralRsEngine.max_parallel,
            token_source="none",
            jinja_explicit=str(PASSTHROUGH_TEMPLATE),
        )
        self.context_length = _max_sequence_length(self._runner) or model.context_length
        self.size_bytes = model.path.stat().st_size

    def tokenize(self, text: str) -> list[int]:
        with self._lock:
            return list(self._runner.tokenize_text(text, add_special_tokens=False, enable_thinking=None))

    def detokenize(self, tokens: list[int]) -> str:
        with self._lock:
            return str(self._runner.detokenize_text(tokens, skip_special_tokens=False))

    def generate(self, prompt: str, sampling: Sampling) -> Iterator[Piece | Finish]:
        from mistralrs import ChatCompletionRequest

        # repetition_penalty is passed only when it is set: mistralrs-cuda 0.6.0, the newest CUDA build on PyPI, lacks it.
        penalty: dict[str, Any] = {"repetition_penalty": sampling.repeat_penalty} if sampling.repeat_penalty != 1.0 else {}
        request = ChatCompletionRequest(
            model="default",
            messages=[{"role": "user", "content": prompt}],
            max_tokens=sampling.max_tokens,
            temperature=sampling.temperature,
            # llama.cpp, under Ollama, keeps only the likeliest token at top_p 0; mistral.rs would not narrow at all.
            top_k=1 if sampling.top_p <= 0 else sampling.top_k if sampling.top_k > 0 else None,
            top_p=sampling.top_p,
            min_p=sampling.min_p if sampling.min_p > 0 else None,
            presence_penalty=sampling.presence_penalty or None,
            frequency_penalty=sampling.frequency_penalty or None,
            stop_seqs=list(sampling.stop) or None,
            # The chosen token's own text comes with its log probability: the leading whitespace that mistral.rs's
            # chat API trims from an answer is recovered from it (see _leading).
            logprobs=True,
            top_logprobs=sampling.logprobs or None,
            grammar=json.dumps(sampling.json_schema) if sampling.json_schema is not None else None,
            grammar_type="json_schema" if sampling.json_schema is not None else None,
            stream=True,
            **penalty,
        )
        with self._lock:
            stream = cast(Iterator[Any], self._runner.send_chat_completion_request(request))
        return self._pieces(stream, sampling.logprobs)

    def _pieces(self, stream: Iterator[Any], alternatives: int | None) -> Iterator[Piece | Finish]:
        started = False
        try:
            while True:
                with self._lock:
                    chunk = next(stream, None)
                if chunk is None:
                    return
                choice = chunk.choices[0] if chunk.choices else None
                text = choice.delta.content or "" if choice is not None else ""
                if not started and choice is not None:
                    text = _leading(text, choice.logprobs)
                logprobs = _logprobs(choice.logprobs, alternatives) if alternatives is not None and choice is not None else ()
                if text or logprobs:
                    started = started or bool(text)
                    yield Piece(text, logprobs)
                usage = chunk.usage
                if usage is not None:
                    reason = choice.finish_reason if choice is not None else "stop"
                    yield Finish(
                        reason="length" if reason == "length" else "stop",
                        prompt_tokens=usage.prompt_tokens,
                        completion_tokens=usage.completion_tokens,
                        prompt_seconds=usage.total_prompt_time_sec,
                        completion_seconds=usage.total_completion_time_sec,
                    )
                    return
        finally:
            # Dropping the SDK's iterator is what cancels the generation inside mistral.rs.
            del stream

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """A completion model refuses as llama-server without --embedding does; embedding models load in llama.cpp."""
        raise EngineUnavailable(NO_EMBEDDINGS)

    def close(self) -> None:
        with self._lock:
            del self._runner


def _leading(content: str, logprob: Any) -> str:
    """The answer's first text as the model wrote it: mistral.rs's chat API strips whitespace from the front of an
    answer (a raw completion that goes on with a new line lost it), but the token's own bytes keep it."""
    raw = getattr(logprob, "bytes", None)
    if not isinstance(raw, bytes):
        return content
    try:
        token = raw.decode()
    except UnicodeDecodeError:
        return content
    return token if token != content and token.endswith(content) and not token[: len(token) - len(content)].strip() else content


def _logprobs(logprob: Any, alternatives: int) -> tuple[TokenLogprob, ...]:
    """The chosen token's entry; mistral.rs gives an alternative's text, not its bytes, so they are its UTF-8. It
    lists one alternative even when none are asked for, so only the number asked for is kept."""
    if logprob is None or not isinstance(logprob.bytes, bytes):
        return ()
    listed = (logprob.top_logprobs or [])[:alternatives]
    top = tuple(TokenLogprob.of((alternative.bytes or "").encode(), alternative.logprob) for alternative in listed)
    return (TokenLogprob.of(logprob.bytes, logprob.logprob, top),)
