"""A model in the store as clients see it: its manifest's layers and what its GGUF file says about it."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .gguf_header import read_header
from .names import ModelName

SHORT_ARRAY = 5
"""Arrays longer than this are left empty unless asked for, as Ollama's /api/show leaves them without verbose."""

MODEL_LAYER = "application/vnd.ollama.image.model"
TEMPLATE_LAYER = "application/vnd.ollama.image.template"
SYSTEM_LAYER = "application/vnd.ollama.image.system"
PARAMS_LAYER = "application/vnd.ollama.image.params"
MESSAGES_LAYER = "application/vnd.ollama.image.messages"
LICENSE_LAYER = "application/vnd.ollama.image.license"
CONFIG_MEDIA = "application/vnd.docker.container.image.v1+json"
MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"

FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
              12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}
GGUF_MAGIC = b"GGUF"


@functools.lru_cache(maxsize=64)
def gguf_metadata(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Key/values and tensor descriptions of a GGUF file, its long arrays (the vocabulary) left empty.

    Read once per file in tens of milliseconds: enough for listing, /api/show and the engines.
    """
    return read_header(path, arrays_up_to=SHORT_ARRAY)


@functools.lru_cache(maxsize=2)
def gguf_full_metadata(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every key/value, vocabulary included, for /api/show with verbose."""
    return read_header(path)


def is_gguf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == GGUF_MAGIC


def format_parameter_count(count: int) -> str:
    """Ollama's parameter_size: `134.52M`, `8.0B`."""
    if count >= 1_000_000_000:
        return f"{count / 1_000_000_000:.1f}B"
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    return f"{count / 1000:.2f}".rstrip("0").rstrip(".") + "K"


def gguf_config(path: Path) -> dict[str, Any]:
    """The config blob Ollama writes beside a GGUF layer: format, family and file type."""
    values, _ = gguf_metadata(path)
    architecture = str(values.get("general.architecture", "llama"))
    return {
        "model_format": "gguf",
        "model_family": architecture,
        "model_families": [architecture],
        "model_type": str(values.get("general.size_label", "")),
        "file_type": FILE_TYPES.get(int(values.get("general.file_type", -1)), "unknown"),
    }


@dataclass
class ModelRecord:
    """One tag in the store, with everything /api/tags, /api/show and the engines need."""

    name: ModelName
    manifest_path: Path
    manifest_digest: str
    manifest: dict[str, Any]
    blobs: Path

    @property
    def modified_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.manifest_path.stat().st_mtime).astimezone()

    @property
    def layers(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("layers", []))

    @property
    def digests(self) -> list[str]:
        """Every blob the manifest names, the config included."""
        return [self.manifest["config"]["digest"], *(layer["digest"] for layer in self.layers)]

    def layer(self, media_type: str) -> dict[str, Any] | None:
        return next((layer for layer in self.layers if layer["mediaType"] == media_type), None)

    def _blob(self, digest: str) -> Path:
        return self.blobs / digest.replace(":", "-")

    def _text(self, media_type: str) -> str | None:
        layer = self.layer(media_type)
        return None if layer is None else self._blob(layer["digest"]).read_text()

    @property
    def gguf_path(self) -> Path:
        layer = self.layer(MODEL_LAYER)
        assert layer is not None
        return self._blob(layer["digest"]).resolve()

    @property
    def size(self) -> int:
        return int(sum(layer["size"] for layer in self.layers) + self.manifest["config"]["size"])

    @property
    def template(self) -> str:
        text = self._text(TEMPLATE_LAYER)
        if text is None:
            return str(self.metadata[0].get("tokenizer.chat_template", "{{ messages[-1].content }}"))
        return text

    @property
    def system(self) -> str:
        return self._text(SYSTEM_LAYER) or ""

    @property
    def parameters(self) -> dict[str, Any]:
        text = self._text(PARAMS_LAYER)
        return {} if text is None else dict(json.loads(text))

    @property
    def messages(self) -> list[dict[str, Any]]:
        text = self._text(MESSAGES_LAYER)
        return [] if text is None else list(json.loads(text))

    @property
    def license(self) -> str:
        return self._text(LICENSE_LAYER) or ""

    @property
    def metadata(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return gguf_metadata(self.gguf_path)

    @property
    def full_metadata(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return gguf_full_metadata(self.gguf_path)

    @property
    def architecture(self) -> str:
        return str(self.metadata[0].get("general.architecture", "llama"))

    @property
    def context_length(self) -> int:
        return int(self.metadata[0].get(f"{self.architecture}.context_length", 2048))

    @property
    def parameter_count(self) -> int:
        return sum(_product(tensor["shape"]) for tensor in self.metadata[1])

    @property
    def details(self) -> dict[str, Any]:
        values = self.metadata[0]
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.architecture,
            "families": [self.architecture],
            "parameter_size": format_parameter_count(self.parameter_count),
            "quantization_level": FILE_TYPES.get(int(values.get("general.file_type", -1)), "unknown"),
        }

    @property
    def capabilities(self) -> list[str]:
        # Ollama's rule: a GGUF that names a pooling type is an embedding model, and only that.
        if f"{self.architecture}.pooling_type" in self.metadata[0]:
            return ["embedding"]
        capabilities = ["completion"]
        if "tools" in self.template:
            capabilities.append("tools")
        return capabilities


def _product(shape: list[int]) -> int:
    result = 1
    for size in shape:
        result *= size
    return result
