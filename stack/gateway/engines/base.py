"""The engine interface: load a GGUF model, then generate from an already-rendered prompt.

Two sides: an `InProcessEngine` (mistral.rs, llama.cpp, an upstream) runs only inside a runner process; the
gateway's scheduler drives an `Engine`, whose models are runner processes speaking for one of those.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class EngineUnavailable(RuntimeError):
    """The engine or one of its capabilities cannot be used here."""


NO_EMBEDDINGS = "This server does not support embeddings. Start it with `--embeddings`"
"""llama-server's 501 for an embedding request to a model loaded without --embedding; Ollama passes it through."""


class InvalidInput(ValueError):
    """The engine cannot take this input; the client gets a 400 with this text, checked before the engine runs."""


@dataclass(frozen=True)
class ModelFile:
    """What an engine needs to load a model: the GGUF file and the name the upstream knows it by."""

    path: Path
    upstream_name: str
    context_length: int
    embedding: bool = False
    """An embedding model (its GGUF has `<arch>.pooling_type`): loaded to pool vectors, as Ollama starts llama-server
    with --embedding for it; any other model refuses to embed."""


@dataclass(frozen=True)
class Sampling:
    """Sampling settings already translated from Ollama's options."""

    max_tokens: int
    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.9
    min_p: float = 0.0
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None
    logprobs: int | None = None
    """None: no log probabilities; N: each token's, with its N likeliest alternatives."""


@dataclass(frozen=True)
class TokenLogprob:
    """One token as the model chose it: its text, its UTF-8 bytes and its log probability, with the alternatives."""

    token: str
    logprob: float
    utf8: tuple[int, ...]
    top_logprobs: tuple[TokenLogprob, ...] = ()

    @staticmethod
    def of(raw: bytes, logprob: float, top_logprobs: tuple[TokenLogprob, ...] = ()) -> TokenLogprob:
        return TokenLogprob(raw.decode(errors="replace"), float(logprob), tuple(raw), top_logprobs)

    def to_json(self) -> dict[str, Any]:
        """Ollama's `logprobs` entry; `top_logprobs` only when alternatives were asked for, as Go's omitempty."""
        entry: dict[str, Any] = {"token": self.token, "logprob": self.logprob, "bytes": list(self.utf8)}
        if self.top_logprobs:
            entry["top_logprobs"] = [alternative.to_json() for alternative in self.top_logprobs]
        return entry

    @staticmethod
    def from_json(value: dict[str, Any]) -> TokenLogprob:
        top = tuple(TokenLogprob.from_json(item) for item in value.get("top_logprobs") or ())
        return TokenLogprob(str(value["token"]), float(value["logprob"]), tuple(value.get("bytes") or ()), top)


@dataclass(frozen=True)
class Piece:
    """A fragment of generated text, with the log probability of each token in it when they were asked for."""

    text: str
    logprobs: tuple[TokenLogprob, ...] = ()


@dataclass(frozen=True)
class Finish:
    """The end of a generation with the engine's own counts and timings."""

    reason: str
    prompt_tokens: int
    completion_tokens: int
    prompt_seconds: float = 0.0
    completion_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class LoadedModel(Protocol):
    context_length: int
    size_bytes: int

    def tokenize(self, text: str) -> list[int]: ...

    def detokenize(self, tokens: list[int]) -> str: ...

    def generate(self, prompt: str, sampling: Sampling) -> Iterator[Piece | Finish]:
        """A blocking iterator; closing it before the end cancels the generation."""
        ...

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """Pooled vectors, one per text, and the number of tokens read."""
        ...

    def close(self) -> None: ...


class ServedModel(LoadedModel, Protocol):
    """A loaded model as the gateway holds it: in a process that may die on its own."""

    pid: int
    vram_bytes: int
    """How much of the model lies in GPU memory: /api/ps's size_vram."""

    async def wait_exit(self) -> str:
        """Returns, with the exit status in words, once the model's process has ended for whatever reason."""
        ...

    async def ping(self, timeout: float) -> bool:
        """Whether the model's process answers a health call within the timeout."""
        ...


class InProcessEngine(Protocol):
    name: str
    max_parallel: int
    """How many generations the engine can run at once without failing."""

    def load(self, model: ModelFile) -> LoadedModel:
        """Load the model in this process; blocking."""
        ...


class Engine(Protocol):
    name: str
    max_parallel: int

    def version(self) -> str: ...

    async def load(self, model: ModelFile) -> ServedModel:
        """Start the model, returning once it can serve; a failure carries Ollama's status and text."""
        ...
