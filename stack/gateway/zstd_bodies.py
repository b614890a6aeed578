"""`Content-Encoding: zstd` request bodies on the /v1 routes, decompressed before anything reads them.

Codex sends its Responses requests compressed. As in Ollama, the decompressed body is capped at 20 MiB and a body
that cannot be decoded is a 400 in the native shape, `{"error":"failed to decompress request body"}`, even under /v1.
"""

from __future__ import annotations

import io
import json

import zstandard
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DECOMPRESSED = 20 << 20
FAILED = "failed to decompress request body"


def decompress(raw: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """The body a zstd stream holds, across frames; ValueError if it is not zstd or decodes past the limit."""
    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True) as reader:
            data = reader.read(limit + 1)
    except zstandard.ZstdError as error:
        raise ValueError(str(error)) from None
    if len(data) > limit:
        raise ValueError(f"decompressed body exceeds {limit} bytes")
    if raw and not data:
        raise ValueError("no zstd frame in the body")
    return data


class ZstdBodies:
    """Hand the routes a zstd body decompressed, with its Content-Encoding gone and its Content-Length corrected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        encoding = headers.get(b"content-encoding", b"").decode("latin-1").strip().lower()
        if encoding != "zstd" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            body = decompress(b"".join(chunks))
        except ValueError:
            payload = json.dumps({"error": FAILED}, separators=(",", ":")).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        kept = [(name, value) for name, value in scope["headers"] if name not in (b"content-encoding", b"content-length")]
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}, replay, send)
