"""Model management as Ollama does it: blobs, create, copy and delete, with Ollama's status lines and errors.

Each operation writes through the store (temporary file, fsync, rename; blobs before the manifest that names
them), so a client that goes away, or a gateway killed mid-way, leaves the store as it was or with the new model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import GatewayError, bad_request, not_found
from .names import parse_name
from .scheduler import Scheduler
from .store import (
    CONFIG_MEDIA,
    LICENSE_LAYER,
    MANIFEST_MEDIA,
    MESSAGES_LAYER,
    MODEL_LAYER,
    PARAMS_LAYER,
    SYSTEM_LAYER,
    TEMPLATE_LAYER,
    DigestMismatch,
    ModelStore,
    gguf_config,
    gguf_metadata,
    is_gguf,
    normal_digest,
)
from .templates import render_chat
from .validation import typed

Progress = dict[str, Any]
UNSUPPORTED_FILES = (".safetensors", ".bin", ".pt", ".pth")


class ModelManager:
    """The store's write side, shared by the blob, create, copy, delete, pull and push routes."""

    def __init__(self, store: ModelStore, scheduler: Scheduler) -> None:
        self.store = store
        self.scheduler = scheduler

    # -- blobs ----------------------------------------------------------------------------------------------

    def has_blob(self, raw_digest: str) -> bool:
        return self.store.has_blob(_digest_or_400(raw_digest))

    async def receive_blob(self, raw_digest: str, body: AsyncIterator[bytes]) -> int:
        """Store an uploaded blob, hashing while it streams in: 200 if it was there, 201 when stored."""
        digest = _digest_or_400(raw_digest)
        if self.store.has_blob(digest):
            async for _ in body:
                pass
            return 200
        writer = self.store.blob_writer(digest)
        try:
            async for chunk in body:
                writer.write(chunk)
            await asyncio.to_thread(writer.commit)
        except DigestMismatch as mismatch:
            raise bad_request(f'digest mismatch, expected "{raw_digest}", got "{mismatch.actual}"') from None
        except BaseException:
            # A client that leaves mid-upload (a truncated body) leaves nothing behind.
            writer.abort()
            raise
        return 201

    # -- create ---------------------------------------------------------------------------------------------

    async def check_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Validate a create request before anything streams, so each refusal gets its real HTTP status."""
        raw = typed(body, "CreateRequest", "model", "string") or typed(body, "CreateRequest", "name", "string") or ""
        name = parse_name(raw)
        if name is None:
            raise bad_request("invalid model name")
        if typed(body, "CreateRequest", "quantize", "string") or typed(body, "CreateRequest", "quantization", "string"):
            raise bad_request("quantization is not supported by this gateway: create from a GGUF file that is already quantized")
        if body.get("adapters"):
            raise bad_request("adapters are not supported by this gateway")
        files = body.get("files") or {}
        if not isinstance(files, dict):
            raise bad_request("json: cannot unmarshal into Go struct field CreateRequest.files of type map[string]string")
        source = typed(body, "CreateRequest", "from", "string") or ""
        if not source and not files:
            raise bad_request("neither 'from' or 'files' was specified")
        plan: dict[str, Any] = {"name": name, "files": [], "from": None}
        for filename, raw_digest in files.items():
            path = PurePosixPath(str(filename))
            if path.is_absolute() or ".." in path.parts or "\\" in str(filename):
                raise bad_request("file path must be relative")
            if not isinstance(raw_digest, str) or not raw_digest:
                raise bad_request("invalid digest format")
            if path.suffix.lower() in UNSUPPORTED_FILES or path.name in ("config.json", "tokenizer.json"):
                raise bad_request("safetensors conversion is not supported by this gateway: create from a GGUF file")
            digest = normal_digest(raw_digest)
            if digest is None:
                raise bad_request("invalid digest format")
            if not self.store.has_blob(digest):
                raise bad_request(f'blob "{raw_digest}" not found')
            if not await asyncio.to_thread(_readable_gguf, self.store.blob_path(digest)):
                raise bad_request("supplied file was not in GGUF format")
            plan["files"].append(digest)
        if len(plan["files"]) > 1:
            raise bad_request("a model is created from one GGUF file; split GGUF files are not supported")
        if source and not plan["files"]:
            if parse_name(source) is None:
                raise bad_request("invalid model name")
            base = self.store.find(source)
            if base is None:
                raise not_found(f"model '{source}' not found")
            plan["from"] = base
        template = typed(body, "CreateRequest", "template", "string")
        if template:
            render_chat(template, [{"role": "user", "content": "check"}])
        messages = typed(body, "CreateRequest", "messages", "[]api.Message") or []
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("role"), str) or not isinstance(message.get("content", ""), str):
                raise bad_request("json: cannot unmarshal into Go struct field CreateRequest.messages of type api.Message")
        return plan

    async def create(self, body: dict[str, Any], plan: dict[str, Any]) -> AsyncIterator[Progress]:
        """The status lines of a create, ending in `success` once the manifest is in place."""
        layers: list[dict[str, Any]]
        if plan["from"] is not None:
            base = plan["from"]
            config = dict(base.manifest["config"])
            layers = list(base.layers)
        else:
            yield {"status": "parsing GGUF"}
            digest = plan["files"][0]
            path = self.store.blob_path(digest)
            layers = [{"mediaType": MODEL_LAYER, "digest": digest, "size": path.stat().st_size}]
            config_body = json.dumps(await asyncio.to_thread(gguf_config, path.resolve())).encode()
            config = await asyncio.to_thread(self.store.put_bytes, CONFIG_MEDIA, config_body)
        added = self._new_layers(body, layers)
        replaced = {media_type for media_type, _ in added}
        layers = [layer for layer in layers if layer["mediaType"] not in replaced]
        for layer in layers:
            yield {"status": f"using existing layer {layer['digest']}"}
        for media_type, content in added:
            existed = self.store.has_blob(_digest_of(content))
            layers.append(await asyncio.to_thread(self.store.put_bytes, media_type, content))
            yield {"status": f"{'using existing' if existed else 'creating new'} layer {layers[-1]['digest']}"}
        yield {"status": "writing manifest"}
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA, "config": config, "layers": layers}
        try:
            await asyncio.to_thread(self.store.write_manifest, plan["name"], manifest)
        except FileNotFoundError as missing:
            raise GatewayError(500, str(missing)) from None
        yield {"status": "success"}

    def _new_layers(self, body: dict[str, Any], layers: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
        """The layers the request adds or replaces, in Ollama's order."""
        new: list[tuple[str, bytes]] = []
        template = typed(body, "CreateRequest", "template", "string")
        if template:
            new.append((TEMPLATE_LAYER, template.encode()))
        system = typed(body, "CreateRequest", "system", "string")
        if system:
            new.append((SYSTEM_LAYER, system.encode()))
        parameters = body.get("parameters")
        if parameters:
            if not isinstance(parameters, dict):
                raise bad_request("json: cannot unmarshal into Go struct field CreateRequest.parameters of type map[string]interface {}")
            base = next((layer for layer in layers if layer["mediaType"] == PARAMS_LAYER), None)
            merged = json.loads(self.store.blob_path(base["digest"]).read_text()) if base else {}
            merged.update(parameters)
            new.append((PARAMS_LAYER, json.dumps(merged).encode()))
        messages = body.get("messages")
        if messages:
            new.append((MESSAGES_LAYER, json.dumps(messages).encode()))
        license_text = body.get("license")
        if license_text:
            texts = license_text if isinstance(license_text, list) else [license_text]
            new.extend((LICENSE_LAYER, str(text).encode()) for text in texts)
        return new

    # -- copy and delete ------------------------------------------------------------------------------------

    async def copy(self, body: dict[str, Any]) -> None:
        """POST /api/copy: the destination names the source's manifest; an existing one is replaced."""
        source = typed(body, "CopyRequest", "source", "string") or ""
        destination = typed(body, "CopyRequest", "destination", "string") or ""
        source_name, destination_name = parse_name(source), parse_name(destination)
        if source_name is None:
            raise bad_request(f'source "{source}" is invalid')
        if destination_name is None:
            raise bad_request(f'destination "{destination}" is invalid')
        record = self.store.find_name(source_name)
        if record is None:
            raise not_found(f'model "{source}" not found')
        if record.name.key != destination_name.key:
            await asyncio.to_thread(self.store.write_manifest, destination_name, record.manifest, record.manifest_path.read_bytes())

    async def delete(self, body: dict[str, Any]) -> None:
        """DELETE /api/delete: the name goes, and so do its blobs that no other model uses."""
        raw = typed(body, "DeleteRequest", "model", "string") or typed(body, "DeleteRequest", "name", "string") or ""
        if not raw:
            raise bad_request("model is required")
        name = parse_name(raw)
        if name is None:
            raise bad_request(f'name "{raw}" is invalid')
        record = self.store.find_name(name)
        if record is None:
            raise not_found(f"model '{raw}' not found")
        # A runner answering a request stops when that request ends; its file stays readable meanwhile. Other names
        # of the same file load it again when next asked.
        await self.scheduler.unload(record, reason="deleted")
        await asyncio.to_thread(self.store.delete, record)


def _readable_gguf(path: Path) -> bool:
    """A GGUF whose header and tensor table parse; a file cut short fails here rather than at load time."""
    if not is_gguf(path):
        return False
    try:
        gguf_metadata(path.resolve())
    except Exception:  # noqa: BLE001 - the reader raises many kinds of errors for a damaged file
        return False
    return True


def _digest_or_400(raw: str) -> str:
    digest = normal_digest(raw)
    if digest is None:
        raise bad_request("invalid digest format")
    return digest


def _digest_of(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()
