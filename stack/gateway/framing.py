"""HTTP framing of the native chunks: NDJSON streams, single JSON bodies, and Ollama's error bodies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .errors import REQUEST_CANCELED, GatewayError

Chunk = dict[str, Any]
T = TypeVar("T")
NATIVE_JSON = "application/json; charset=utf-8"
NDJSON = "application/x-ndjson"


def dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(value: object, status: int = 200, media_type: str = NATIVE_JSON) -> Response:
    return Response(dumps(value), status_code=status, media_type=media_type)


def error_response(error: GatewayError) -> Response:
    return json_response({"error": error.message}, error.status)


async def as_chunks(result: Chunk | AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
    """A load or unload answer as a one-chunk stream, for callers that only deal in streams."""
    if isinstance(result, dict):
        yield result
    else:
        async for chunk in result:
            yield chunk


async def first_and_rest(chunks: AsyncIterator[Chunk]) -> tuple[Chunk | None, AsyncIterator[Chunk]]:
    """Wait for the first chunk, so that anything failing before it still gets a real HTTP status."""
    iterator = chunks.__aiter__()
    try:
        first = await iterator.__anext__()
    except StopAsyncIteration:
        return None, iterator
    return first, iterator


def record_outcome(request: Request, chunk: Chunk) -> None:
    """Leave the final counts where the access log and the request metrics find them."""
    state = request.scope.setdefault("state", {})
    for key in ("prompt_eval_count", "eval_count", "done_reason"):
        if key in chunk:
            state[key] = chunk[key]


async def ndjson_stream(request: Request, first: Chunk, rest: AsyncIterator[Chunk]) -> Response:
    async def body() -> AsyncIterator[bytes]:
        chunk: Chunk | None = first
        try:
            while chunk is not None:
                if chunk.get("done"):
                    record_outcome(request, chunk)
                yield dumps(chunk) + b"\n"
                chunk = await anext(rest, None)
        except GatewayError as error:
            yield dumps({"error": error.message}) + b"\n"
        except Exception as error:  # noqa: BLE001 - a failure after the first byte can only be reported in-band
            yield dumps({"error": str(error) or type(error).__name__}) + b"\n"

    return StreamingResponse(body(), media_type=NDJSON)


async def until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Run `work`, cancelling it if the client goes away first, so its generation stops and frees the slot."""
    task = asyncio.ensure_future(work)

    gone = asyncio.Event()

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                gone.set()
                task.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        return await task
    except asyncio.CancelledError:
        # Ollama's answer to a request whose client went away; nobody reads it, but the access log and metrics do.
        if gone.is_set():
            raise GatewayError(499, REQUEST_CANCELED) from None
        raise
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def whole_answer(request: Request, chunks: AsyncIterator[Chunk], kind: str, keep_tool_calls: bool) -> Chunk:
    """Generate to the end for a non-streamed request, stopping if the client leaves, and record the counts."""

    async def gather() -> Chunk:
        first, rest = await first_and_rest(chunks)
        return await collect(first, rest, kind, keep_tool_calls)

    answer = await until_disconnect(request, gather())
    record_outcome(request, answer)
    return answer


async def collect(first: Chunk | None, rest: AsyncIterator[Chunk], kind: str, keep_tool_calls: bool) -> Chunk:
    """The non-streamed answer: the final chunk with the text of every chunk before it."""
    text: list[str] = []
    tool_calls: list[Any] = []
    logprobs: list[Any] = []
    final: Chunk = first or {}
    chunk = first
    while chunk is not None:
        final = chunk
        logprobs.extend(chunk.get("logprobs", []))
        if kind == "generate":
            text.append(chunk.get("response", ""))
        else:
            message = chunk.get("message", {})
            text.append(message.get("content", ""))
            tool_calls.extend(message.get("tool_calls", []))
        chunk = await anext(rest, None)
    final = dict(final)
    if kind == "generate":
        final["response"] = "".join(text)
    else:
        message = {"role": "assistant", "content": "".join(text)}
        if tool_calls and keep_tool_calls:
            message["tool_calls"] = tool_calls
        final["message"] = message
    if logprobs:
        final["logprobs"] = logprobs
    return final
