"""The model store: Ollama's layout of manifests and content-addressed blobs, written so a crash never corrupts it.

Layout, as Ollama keeps it under OLLAMA_MODELS:
    blobs/sha256-<hex>                                  every layer and config, named by its digest
    manifests/<host>/<namespace>/<model>/<tag>          one JSON manifest per name, listing its blobs

Every write goes to a temporary file in the same directory, is fsynced, then renamed into place, and blobs are
written before the manifest naming them; so after a SIGKILL the store holds each model whole or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .bundled import BUNDLED, BundledModel, bundled_parts
from .gguf_header import read_header
from .names import ModelName, parse_name

SHORT_ARRAY = 5
"""Arrays longer than this are left empty unless asked for, as Ollama's /api/show leaves them without verbose."""

log = logging.getLogger("stack.gateway.store")

MODEL_LAYER = "application/vnd.ollama.image.model"
TEMPLATE_LAYER = "application/vnd.ollama.image.template"
SYSTEM_LAYER = "application/vnd.ollama.image.system"
PARAMS_LAYER = "application/vnd.ollama.image.params"
MESSAGES_LAYER = "application/vnd.ollama.image.messages"
LICENSE_LAYER = "application/vnd.ollama.image.license"
CONFIG_MEDIA = "application/vnd.docker.container.image.v1+json"
MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"

DIGEST = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")
PARTIAL_SUFFIX = "-partial"
"""A pull's download in progress, kept between attempts so the next pull resumes it."""
TEMPORARY_MARK = ".tmp-"
"""Any other file being written: dropped at start-up, as nothing can resume it."""

FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
              12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}
GGUF_MAGIC = b"GGUF"
BLOCK = 1 << 20


class DigestMismatch(ValueError):
    """The bytes written do not hash to the digest they were announced under."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f'digest mismatch, expected "{expected}", got "{actual}"')
        self.expected = expected
        self.actual = actual


def normal_digest(raw: str) -> str | None:
    """`sha256:<hex>` for either spelling Ollama accepts, or None when it is not a digest."""
    match = DIGEST.match(raw)
    return f"sha256:{match.group(1).lower()}" if match else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomic(path: Path, body: bytes) -> None:
    """Replace `path` with `body` so that a reader, or a restart after a crash, sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}{TEMPORARY_MARK}{uuid.uuid4().hex}")
    try:
        with temporary.open("wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)


class BlobWriter:
    """Streams bytes into a temporary file while hashing them; commit() checks the digest and renames into place."""

    def __init__(self, final: Path, expected: str, temporary: Path, resume: bool = False) -> None:
        self.final = final
        self.expected = expected
        self.temporary = temporary
        self._hash = hashlib.sha256()
        self.size = 0
        if resume and temporary.exists():
            with temporary.open("rb") as existing:
                for block in iter(lambda: existing.read(BLOCK), b""):
                    self._hash.update(block)
                    self.size += len(block)
        self._handle: IO[bytes] | None = temporary.open("ab" if resume else "wb")

    def rehash(self, written: IO[bytes]) -> None:
        """Count bytes that another writer put in the temporary file, for commit() to check."""
        for block in iter(lambda: written.read(BLOCK), b""):
            self._hash.update(block)
            self.size += len(block)

    def write(self, data: bytes) -> None:
        assert self._handle is not None
        self._hash.update(data)
        self._handle.write(data)
        self.size += len(data)

    def commit(self) -> None:
        """Verify, fsync and rename; on a mismatch the temporary file is removed and DigestMismatch raised."""
        handle, self._handle = self._handle, None
        assert handle is not None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        actual = "sha256:" + self._hash.hexdigest()
        if actual != self.expected:
            self.temporary.unlink(missing_ok=True)
            raise DigestMismatch(self.expected, actual)
        os.replace(self.temporary, self.final)
        _fsync_directory(self.final.parent)

    def abort(self, keep: bool = False) -> None:
        """Close without committing; `keep` leaves a pull's partial download for the next attempt."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if not keep:
            self.temporary.unlink(missing_ok=True)


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


class ModelStore:
    """Manifests under `<dir>/manifests/<host>/<namespace>/<model>/<tag>`, blobs under `<dir>/blobs`, as Ollama lays them out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifests = root / "manifests"
        self.blobs = root / "blobs"
        # Manifest writes and blob pruning exclude each other, so a prune never takes a blob a new manifest names.
        self.lock = threading.RLock()

    # -- start-up -------------------------------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """Drop what a crash can leave behind: temporary files and blobs no manifest names. Returns what went.

        A pull's partial download stays, so the next pull of it resumes; it never carries a blob's final name.
        """
        removed: list[Path] = []
        with self.lock:
            for directory in (self.manifests, self.blobs):
                if directory.exists():
                    for path in directory.rglob(f"*{TEMPORARY_MARK}*"):
                        path.unlink(missing_ok=True)
                        removed.append(path)
            removed.extend(self.prune())
        return removed

    def ensure_bundled(self, wanted: frozenset[str] | None = None) -> list[str]:
        """Register each installed bundled model not registered yet (all, or those `wanted` names); returns the tags added."""
        added: list[str] = []
        for model in BUNDLED:
            if wanted is not None and not wanted & set(model.tags):
                continue
            parts = bundled_parts(model)
            if parts is None:
                continue
            missing = [tag for tag in model.tags if self.find(tag) is None]
            if missing:
                self.register_bundled(model, parts, missing)
                added.extend(missing)
        return added

    def register_bundled(self, model: BundledModel, parts: list[Path], tags: list[str]) -> None:
        """One blob and one manifest shared by every tag, as Ollama's library names one model several ways."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        final = self.blob_path(model.digest)
        if not final.exists():
            if model.convert is not None:
                self._convert(model.convert, parts[0], model.digest)
            elif len(parts) == 1:
                self._link_blob(parts[0], model.digest)
            else:
                self._assemble(parts, model.digest)
        layers = [{"mediaType": MODEL_LAYER, "digest": model.digest, "size": final.stat().st_size}]
        template = model.template if model.template is not None else gguf_metadata(final.resolve())[0].get("tokenizer.chat_template")
        if template:
            layers.append(self.put_bytes(TEMPLATE_LAYER, str(template).encode()))
        layers.append(self.put_bytes(PARAMS_LAYER, json.dumps(model.parameters).encode()))
        if model.license:
            layers.append(self.put_bytes(LICENSE_LAYER, model.license.encode()))
        config = self.put_bytes(CONFIG_MEDIA, json.dumps(gguf_config(final.resolve())).encode())
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA, "config": config, "layers": layers}
        for tag in tags:
            name = parse_name(tag)
            if name is None:
                raise ValueError(f"invalid model name {tag!r}")
            self.write_manifest(name, manifest)

    def _link_blob(self, source: Path, digest: str) -> None:
        """A single-file package is linked, not copied; its digest is still checked once."""
        actual = "sha256:" + sha256_file(source)
        if actual != digest:
            raise DigestMismatch(digest, actual)
        final = self.blob_path(digest)
        temporary = final.with_name(f"{final.name}{TEMPORARY_MARK}{uuid.uuid4().hex}")
        temporary.symlink_to(source.resolve())
        os.replace(temporary, final)
        _fsync_directory(final.parent)

    def _convert(self, convert: Callable[[Path, Path], None], source: Path, digest: str) -> None:
        """Write the GGUF a package's checkpoint converts to, then check it against the digest the conversion always gives."""
        writer = self.blob_writer(digest)
        try:
            convert(source, writer.temporary)
            with writer.temporary.open("rb") as written:
                writer.rehash(written)
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        log.info("converted %s into %s", source.name, digest)

    def _assemble(self, parts: list[Path], digest: str) -> None:
        """Concatenate the parts into one blob, a block at a time, so a 1 GB model never sits in memory."""
        writer = self.blob_writer(digest)
        try:
            for part in parts:
                with part.open("rb") as handle:
                    for block in iter(lambda: handle.read(BLOCK), b""):
                        writer.write(block)
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        log.info("assembled %s from %d parts", digest, len(parts))

    # -- blobs ----------------------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest.replace(":", "-")

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).exists()

    def blob_writer(self, digest: str, resumable: bool = False) -> BlobWriter:
        """A writer for one blob: a pull's is resumable and named for its digest, any other is unique."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        final = self.blob_path(digest)
        if resumable:
            return BlobWriter(final, digest, final.with_name(final.name + PARTIAL_SUFFIX), resume=True)
        return BlobWriter(final, digest, final.with_name(f"{final.name}{TEMPORARY_MARK}{uuid.uuid4().hex}"))

    def put_bytes(self, media_type: str, body: bytes) -> dict[str, Any]:
        """Store a small blob and return its layer description."""
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            write_atomic(path, body)
        return {"mediaType": media_type, "digest": digest, "size": len(body)}

    # -- manifests ------------------------------------------------------------------------------------------

    def manifest_path(self, name: ModelName) -> Path:
        """Where a name's manifest lives, in the casing of an existing one, as Ollama keeps one manifest per name."""
        existing = self.find_name(name)
        if existing is not None:
            return existing.manifest_path
        return self.manifests / name.host / name.namespace / name.model / name.tag

    def write_manifest(self, name: ModelName, manifest: dict[str, Any], body: bytes | None = None) -> None:
        """Write a manifest once every blob it names is in place; `body` keeps a pulled manifest's exact bytes,
        so its digest stays the registry's."""
        with self.lock:
            missing = [digest for digest in _manifest_digests(manifest) if not self.has_blob(digest)]
            if missing:
                raise FileNotFoundError(f"blob {missing[0]} not found")
            write_atomic(self.manifest_path(name), body if body is not None else json.dumps(manifest).encode())

    def delete(self, record: ModelRecord) -> list[str]:
        """Remove a name, then those of its blobs no other manifest names, as Ollama does; returns their digests.

        Other unreferenced blobs stay: one uploaded for a create that has not come yet must survive a delete.
        """
        with self.lock:
            record.manifest_path.unlink(missing_ok=True)
            _fsync_directory(record.manifest_path.parent)
            self._remove_empty_parents(record.manifest_path.parent)
            referenced = {digest for other in self.list() for digest in other.digests}
            removed = [digest for digest in dict.fromkeys(record.digests) if digest not in referenced]
            for digest in removed:
                self.blob_path(digest).unlink(missing_ok=True)
            return removed

    def _remove_empty_parents(self, directory: Path) -> None:
        while directory != self.manifests and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent

    def prune(self) -> list[Path]:
        """Remove complete blobs that no manifest names, as Ollama does at start-up (a partial download stays)."""
        if not self.blobs.exists():
            return []
        with self.lock:
            referenced = {digest.replace(":", "-") for record in self.list() for digest in record.digests}
            removed = []
            for path in self.blobs.iterdir():
                if DIGEST.match(path.name) and path.name not in referenced:
                    path.unlink(missing_ok=True)
                    removed.append(path)
            return removed

    def list(self) -> list[ModelRecord]:
        """Every tag, newest first, as /api/tags sorts them."""
        if not self.manifests.exists():
            return []
        records = []
        for path in self.manifests.glob("*/*/*/*"):
            if path.is_file() and TEMPORARY_MARK not in path.name:
                host, namespace, model = path.parts[-4:-1]
                record = self._load(ModelName(host, namespace, model, path.name), path)
                if record is not None:
                    records.append(record)
        return sorted(records, key=lambda record: record.manifest_path.stat().st_mtime, reverse=True)

    def find(self, raw_name: str) -> ModelRecord | None:
        """The record for a name, matched case-insensitively as Ollama does."""
        name = parse_name(raw_name)
        return None if name is None else self.find_name(name)

    def find_name(self, name: ModelName) -> ModelRecord | None:
        return next((record for record in self.list() if record.name.key == name.key), None)

    def _load(self, name: ModelName, path: Path) -> ModelRecord | None:
        with contextlib.suppress(FileNotFoundError):
            body = path.read_bytes()
            try:
                manifest = json.loads(body)
            except ValueError:
                log.warning("ignoring unreadable manifest %s", path)
                return None
            return ModelRecord(name, path, hashlib.sha256(body).hexdigest(), manifest, self.blobs)
        return None


def _manifest_digests(manifest: dict[str, Any]) -> list[str]:
    return [manifest["config"]["digest"], *(layer["digest"] for layer in manifest.get("layers", []))]
