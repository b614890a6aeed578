"""Pull and push over the Docker Registry HTTP API v2, as Ollama speaks it to registry.ollama.ai or a private registry.

A model is a schema-2 image manifest whose layers carry Ollama's media types (model, template, params, ...) and
whose config is a small JSON blob. Names map onto repositories: `host/namespace/model:tag` is
`https://host/v2/namespace/model/manifests/tag`; `insecure` switches to plain HTTP, as `ollama pull --insecure` does.

Pulls are atomic and resumable: each blob downloads into `sha256-<hex>-partial`, is verified against its digest
and renamed into place; the manifest is written last. An interrupted pull lists no model and leaves the partial
download for the next pull to resume with a Range request.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .errors import GatewayError
from .names import ModelName
from .store import MANIFEST_MEDIA, DigestMismatch, ModelStore, normal_digest

Progress = dict[str, Any]
PROGRESS_INTERVAL_S = 0.06
"""Ollama reports a layer's progress about every 60 ms."""
UPLOAD_CHUNK = 32 << 20
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class RegistryClient:
    """Moves models between the store and v2 registries."""

    def __init__(self, store: ModelStore) -> None:
        self.store = store
        self._downloads: dict[str, asyncio.Lock] = {}

    # -- pull -----------------------------------------------------------------------------------------------

    async def pull(self, name: ModelName, insecure: bool) -> AsyncIterator[Progress]:
        """Ollama's pull progress: manifest, each layer, verification, manifest written, success."""
        yield {"status": "pulling manifest"}
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client:
            url = _repository(name, insecure) + f"/manifests/{name.tag}"
            manifest_body = await _request(client, "GET", url, "pull model manifest", headers={"Accept": MANIFEST_MEDIA})
            manifest = _parse_manifest(manifest_body)
            for layer in [*manifest["layers"], manifest["config"]]:
                async for progress in self._download(client, name, insecure, layer):
                    yield progress
        yield {"status": "verifying sha256 digest"}
        yield {"status": "writing manifest"}
        try:
            await asyncio.to_thread(self.store.write_manifest, name, manifest, manifest_body)
        except FileNotFoundError as missing:
            raise GatewayError(500, f"pull model manifest: {missing}") from None
        yield {"status": "success"}

    async def _download(self, client: httpx.AsyncClient, name: ModelName, insecure: bool, layer: dict[str, Any]) -> AsyncIterator[Progress]:
        digest, total = layer["digest"], int(layer["size"])
        status = f"pulling {digest[7:19]}"
        lock = self._downloads.setdefault(digest, asyncio.Lock())
        async with lock:
            if self.store.has_blob(digest):
                yield {"status": status, "digest": digest, "total": total, "completed": total}
                return
            writer = await asyncio.to_thread(self.store.blob_writer, digest, True)
            keep_partial = True
            try:
                if writer.size >= total:
                    writer.abort()
                    writer = await asyncio.to_thread(self.store.blob_writer, digest, True)
                headers = {"Range": f"bytes={writer.size}-"} if writer.size else {}
                url = _repository(name, insecure) + f"/blobs/{digest}"
                async with client.stream("GET", url, headers=headers) as response:
                    if response.status_code not in (200, 206):
                        body = (await response.aread()).decode(errors="replace")
                        raise GatewayError(500, f"download {digest[7:19]}: {response.status_code}: {body.strip()}")
                    if response.status_code == 200 and writer.size:
                        # The registry ignored the Range: start the blob again.
                        writer.abort()
                        writer = await asyncio.to_thread(self.store.blob_writer, digest, True)
                    yield {"status": status, "digest": digest, "total": total, "completed": writer.size}
                    reported = time.monotonic()
                    async for chunk in response.aiter_bytes(1 << 20):
                        writer.write(chunk)
                        if writer.size > total:
                            raise GatewayError(500, f"download {digest[7:19]}: the registry sent more than {total} bytes")
                        if time.monotonic() - reported >= PROGRESS_INTERVAL_S:
                            reported = time.monotonic()
                            yield {"status": status, "digest": digest, "total": total, "completed": writer.size}
                keep_partial = False
                await asyncio.to_thread(writer.commit)
            except DigestMismatch as mismatch:
                raise GatewayError(500, f"digest mismatch, file must be downloaded again: want {mismatch.expected}, got {mismatch.actual}") from None
            except httpx.HTTPError as error:
                raise GatewayError(500, f"download {digest[7:19]}: {_describe(error)}") from None
            finally:
                writer.abort(keep=keep_partial)
            yield {"status": status, "digest": digest, "total": total, "completed": total}

    # -- push -----------------------------------------------------------------------------------------------

    async def push(self, name: ModelName, insecure: bool) -> AsyncIterator[Progress]:
        """Ollama's push progress: manifest retrieved, each layer pushed unless the registry has it, manifest, success."""
        yield {"status": "retrieving manifest"}
        record = self.store.find_name(name)
        if record is None:
            yield {"status": "couldn't retrieve manifest"}
            path = self.store.manifests / name.host / name.namespace / name.model / name.tag
            raise GatewayError(500, f"open {path}: no such file or directory")
        repository = _repository(name, insecure)
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client:
            for layer in [*record.layers, record.manifest["config"]]:
                async for progress in self._upload(client, repository, layer):
                    yield progress
            yield {"status": "pushing manifest"}
            await _request(client, "PUT", f"{repository}/manifests/{name.tag}", "push manifest",
                           content=record.manifest_path.read_bytes(), headers={"Content-Type": MANIFEST_MEDIA})
        yield {"status": "success"}

    async def _upload(self, client: httpx.AsyncClient, repository: str, layer: dict[str, Any]) -> AsyncIterator[Progress]:
        digest, total = layer["digest"], int(layer["size"])
        status = f"pushing {digest[7:19]}"
        blob_url = f"{repository}/blobs/{digest}"
        try:
            exists = (await client.head(blob_url)).status_code == 200
        except httpx.HTTPError as error:
            raise GatewayError(500, f'Head "{blob_url}": {_describe(error)}') from None
        if exists:
            yield {"status": status, "digest": digest, "total": total, "completed": total}
            return
        started = await _call(client, "POST", f"{repository}/blobs/uploads/", "upload", expected=(202,))
        location = _location(started, repository)
        completed = 0
        yield {"status": status, "digest": digest, "total": total, "completed": completed}
        with self.store.blob_path(digest).open("rb") as handle:
            while chunk := await asyncio.to_thread(handle.read, UPLOAD_CHUNK):
                headers = {"Content-Type": "application/octet-stream", "Content-Range": f"{completed}-{completed + len(chunk) - 1}"}
                response = await _call(client, "PATCH", location, "upload", expected=(202,), content=chunk, headers=headers)
                location = _location(response, repository)
                completed += len(chunk)
                yield {"status": status, "digest": digest, "total": total, "completed": completed}
        await _call(client, "PUT", str(httpx.URL(location).copy_merge_params({"digest": digest})), "upload", expected=(201,), content=b"")


def _repository(name: ModelName, insecure: bool) -> str:
    scheme = "http" if insecure else "https"
    return f"{scheme}://{name.host}/v2/{name.namespace}/{name.model}"


def _location(response: httpx.Response, repository: str) -> str:
    location = response.headers.get("location")
    if not location:
        raise GatewayError(500, f"upload: the registry gave no upload location ({response.status_code})")
    return str(httpx.URL(repository).join(location))


async def _call(client: httpx.AsyncClient, method: str, url: str, what: str, expected: tuple[int, ...], **kwargs: Any) -> httpx.Response:
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise GatewayError(500, f'{what}: {method.title()} "{url}": {_describe(error)}') from None
    if response.status_code not in expected:
        raise GatewayError(500, f"{what}: {response.status_code}: {response.text.strip()}")
    return response


async def _request(client: httpx.AsyncClient, method: str, url: str, what: str, **kwargs: Any) -> bytes:
    """A registry call whose failure reads as Ollama words it: `pull model manifest: file does not exist`."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise GatewayError(500, f'{what}: {method.title()} "{url}": {_describe(error)}') from None
    if response.status_code == 404 and method == "GET":
        raise GatewayError(500, f"{what}: file does not exist")
    if response.status_code >= 300:
        raise GatewayError(500, f"{what}: {response.status_code}: {response.text.strip()}")
    return response.content


def _parse_manifest(body: bytes) -> dict[str, Any]:
    """The manifest, refused unless every blob it names has a digest and a size."""
    try:
        manifest = json.loads(body)
        blobs = [*manifest["layers"], manifest["config"]]
        if not all(normal_digest(str(blob["digest"])) and int(blob["size"]) >= 0 for blob in blobs):
            raise ValueError("a layer without a valid digest")
    except (ValueError, KeyError, TypeError) as error:
        raise GatewayError(500, f"pull model manifest: the registry answered something that is not a model manifest ({error})") from None
    if not isinstance(manifest, dict):
        raise GatewayError(500, "pull model manifest: the registry answered something that is not a model manifest")
    return manifest


def _describe(error: httpx.HTTPError) -> str:
    """Go's words where a client knows them, so a plain-HTTP registry reached over HTTPS says what to do."""
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ssl.SSLError) for c in causes) or "SSL" in str(error):
        return "http: server gave HTTP response to HTTPS client (use insecure for a registry without TLS)"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connect: connection refused"
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"lookup failed: {error}"
    return str(error) or type(error).__name__
