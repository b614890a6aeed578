"""Inference engines behind one interface, each model in a runner process: mistral.rs, llama.cpp, an OpenAI upstream."""

from __future__ import annotations

from .base import (
    Engine,
    EngineUnavailable,
    Finish,
    InvalidInput,
    LoadedModel,
    ModelFile,
    Piece,
    Sampling,
    ServedModel,
    TokenLogprob,
)
from .process import RunnerEngine, RunnerFailure

__all__ = [
    "Engine", "EngineUnavailable", "Finish", "InvalidInput", "LoadedModel", "ModelFile", "Piece", "RunnerEngine",
    "RunnerFailure", "Sampling", "ServedModel", "TokenLogprob", "create_engine",
]


def create_engine(name: str, upstream_url: str | None = None, load_timeout: float = 300.0) -> Engine:
    """The engine called `name`, whose models each run in a runner process of their own."""
    return RunnerEngine(name, upstream_url, load_timeout)
