"""Ollama's native routes: HTTP shape only; the work is in service.Gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from . import OLLAMA_VERSION
from .framing import (
    Chunk,
    first_and_rest,
    json_response,
    ndjson_stream,
    until_disconnect,
    whole_answer,
)
from .service import Gateway
from .validation import decode_body, typed


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def read_json(request: Request) -> dict[str, object]:
    """The body as JSON whatever the Content-Type says: litellm sends none."""
    body = decode_body(await request.body())
    model = body.get("model") or body.get("name")
    if isinstance(model, str):
        request.scope.setdefault("state", {})["model"] = model
    return body


async def root(request: Request) -> Response:
    return PlainTextResponse("Ollama is running")


async def version(request: Request) -> Response:
    return json_response({"version": OLLAMA_VERSION})


async def tags(request: Request) -> Response:
    # The store reads manifests and GGUF headers from disk: off the event loop, so liveness and scrapes never wait.
    return json_response(await asyncio.to_thread(gateway_of(request).tags))


async def show(request: Request) -> Response:
    body = await read_json(request)
    return json_response(await asyncio.to_thread(gateway_of(request).show, body, request.headers.get("user-agent", "")))


async def ps(request: Request) -> Response:
    return json_response(gateway_of(request).ps())


async def generate(request: Request) -> Response:
    body = await read_json(request)
    stream = typed(body, "GenerateRequest", "stream", "bool") is not False
    return await _respond(request, await gateway_of(request).generate(body), stream, "generate", False)


async def chat(request: Request) -> Response:
    body = await read_json(request)
    stream = typed(body, "ChatRequest", "stream", "bool") is not False
    return await _respond(request, await gateway_of(request).chat(body), stream, "chat", bool(body.get("tools")))


async def _respond(request: Request, chunks: Chunk | AsyncIterator[Chunk], stream: bool, kind: str, tools: bool) -> Response:
    """`stream` absent or null means streaming, as in Ollama; a load or unload is one object either way."""
    if isinstance(chunks, dict):
        return json_response(chunks)
    if stream:
        # A client that leaves before the first chunk gives up its queue place, its load and its prefill at once.
        first, rest = await until_disconnect(request, first_and_rest(chunks))
        if first is None:
            return json_response({})
        return await ndjson_stream(request, first, rest)

    return json_response(await whole_answer(request, chunks, kind, keep_tool_calls=tools))


async def embed(request: Request) -> Response:
    body = await read_json(request)
    return json_response(await until_disconnect(request, gateway_of(request).embed(body)))


async def embeddings(request: Request) -> Response:
    body = await read_json(request)
    return json_response(await until_disconnect(request, gateway_of(request).embeddings(body)))


routes = [
    Route("/", root, methods=["GET"]),
    Route("/api/version", version, methods=["GET"]),
    Route("/api/tags", tags, methods=["GET"]),
    Route("/api/show", show, methods=["POST"]),
    Route("/api/ps", ps, methods=["GET"]),
    Route("/api/generate", generate, methods=["POST"]),
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/embed", embed, methods=["POST"]),
    Route("/api/embeddings", embeddings, methods=["POST"]),
]
