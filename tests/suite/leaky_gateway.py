"""Negative controls for the reliability checks: tiny ASGI apps that get one thing wrong on purpose.

Never a stand-in for the stack: each exists only to show that a check fails when its defect is present.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route


def streaming_app(leak_on_disconnect: bool) -> Starlette:
    """Streams NDJSON chunks and counts requests in flight; the leaky one forgets a client that hung up."""
    held = {"in_flight": 0}

    async def generate(request: Request) -> Response:
        held["in_flight"] += 1

        async def chunks() -> AsyncIterator[bytes]:
            finished = False
            try:
                for number in range(200):
                    yield (json.dumps({"response": str(number), "done": False}) + "\n").encode()
                    await asyncio.sleep(0.02)
                finished = True
            finally:
                if finished or not leak_on_disconnect:
                    held["in_flight"] -= 1

        return StreamingResponse(chunks(), media_type="application/x-ndjson")

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(f"gateway_requests_in_flight {held['in_flight']}.0\ngateway_requests_queued 0.0\n")

    return Starlette(routes=[Route("/api/generate", generate, methods=["POST"]), Route("/metrics", metrics)])


def crashing_app(validate: bool) -> Starlette:
    """Reads `model` and `prompt`; the crashing one trusts their types, so a fuzzed body is Starlette's plain 500."""

    async def generate(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "invalid character"}, 400)
        if validate and not (isinstance(body, dict) and isinstance(body.get("model"), str) and isinstance(body.get("prompt", ""), str)):
            return JSONResponse({"error": "json: cannot unmarshal into Go struct field"}, 400)
        return JSONResponse({"response": body["model"].upper() + body.get("prompt", "").strip(), "done": True})

    async def wrong_method(request: Request, error: Exception) -> Response:
        return PlainTextResponse("405 method not allowed", 405)

    return Starlette(routes=[Route("/api/generate", generate, methods=["POST"])], exception_handlers={405: wrong_method})


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The app on a free loopback port in a thread, for as long as the block runs; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
