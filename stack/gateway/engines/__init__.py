"""Inference engines behind one interface: mistral.rs in-process, llama.cpp in-process, an OpenAI upstream."""

from __future__ import annotations

from .base import (
    Engine,
    EngineUnavailable,
    Finish,
    LoadedModel,
    ModelFile,
    Piece,
    Sampling,
)

__all__ = ["Engine", "EngineUnavailable", "Finish", "LoadedModel", "ModelFile", "Piece", "Sampling", "create_engine"]


def create_engine(name: str, upstream_url: str | None = None) -> Engine:
    """The engine called `name`; imports are deferred so a missing optional engine does not break the others."""
    if name == "mistralrs":
        from .mistralrs import MistralRsEngine

        return MistralRsEngine()
    if name == "llamacpp":
        from .llamacpp import LlamaCppEngine

        return LlamaCppEngine()
    if name == "openai":
        from .upstream import UpstreamEngine

        if not upstream_url:
            raise EngineUnavailable("--engine openai needs --upstream-url")
        return UpstreamEngine(upstream_url)
    raise EngineUnavailable(f"unknown engine {name!r}")
