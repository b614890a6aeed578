"""The model store: Ollama's layout of manifests and content-addressed blobs, written so a crash never corrupts it.

Layout, as Ollama keeps it under OLLAMA_MODELS:
    blobs/sha256-<hex>                                  every layer and config, named by its digest
    manifests/<host>/<namespace>/<model>/<tag>          one JSON manifest per name, listing its blobs

Every write goes to a temporary file in the same directory, is fsynced, then renamed into place, and blobs are
written before the manifest naming them; so after a SIGKILL the store holds each model whole or not at all.
How one blob is written is in blobs.py; what a stored model says about itself (its layers, its GGUF) in records.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .blobs import (
    BLOCK,
    DIGEST,
    PARTIAL_SUFFIX,
    TEMPORARY_MARK,
    BlobWriter,
    DigestMismatch,
    fsync_directory,
    normal_digest,
    sha256_file,
    write_atomic,
)
from .bundled import BUNDLED, BundledModel, bundled_parts
from .names import ModelName, parse_name
from .records import (
    CONFIG_MEDIA,
    LICENSE_LAYER,
    MANIFEST_MEDIA,
    MESSAGES_LAYER,
    MODEL_LAYER,
    PARAMS_LAYER,
    SYSTEM_LAYER,
    TEMPLATE_LAYER,
    ModelRecord,
    format_parameter_count,
    gguf_config,
    gguf_metadata,
    is_gguf,
)

__all__ = [
    "CONFIG_MEDIA", "LICENSE_LAYER", "MANIFEST_MEDIA", "MESSAGES_LAYER", "MODEL_LAYER", "PARAMS_LAYER",
    "PARTIAL_SUFFIX", "SYSTEM_LAYER", "TEMPLATE_LAYER", "TEMPORARY_MARK", "BlobWriter", "DigestMismatch", "ModelRecord",
    "ModelStore", "format_parameter_count", "gguf_config", "gguf_metadata", "is_gguf", "normal_digest", "sha256_file",
    "write_atomic",
]
"""The store's own class, and the names of blobs.py and records.py that callers have always imported from here."""

log = logging.getLogger("stack.gateway.store")


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
        fsync_directory(final.parent)

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
            fsync_directory(record.manifest_path.parent)
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
