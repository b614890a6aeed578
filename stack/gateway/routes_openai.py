"""OpenAI-compatible routes, translated onto the native operations as Ollama's compatibility layer does."""

from __future__ import annotations

import base64
import json
import random
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .errors import GatewayError, bad_request
from .framing import (
    Chunk,
    as_chunks,
    dumps,
    first_and_rest,
    json_response,
    record_outcome,
    until_disconnect,
    whole_answer,
)
from .names import parse_name
from .routes_ollama import gateway_of
from .toolcalls import call_id as _call_id
from .validation import decode_body, typed

OPENAI_JSON = "application/json"
ERROR_TYPES = {400: "invalid_request_error", 404: "not_found_error"}


def openai_error(error: GatewayError) -> Response:
    body = {"error": {"message": error.message, "type": ERROR_TYPES.get(error.status, "api_error"), "param": None, "code": None}}
    return json_response(body, error.status, OPENAI_JSON)


async def read_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("EOF")
    body = decode_body(raw)
    if isinstance(body.get("model"), str):
        request.scope.setdefault("state", {})["model"] = body["model"]
    return body


def _sampling_options(body: dict[str, Any], completions: bool) -> dict[str, Any]:
    """OpenAI parameters as native options; absent temperature and top_p mean 1.0, as in Ollama.

    /v1/completions also reads a top_p of 0 as absent (Ollama's CompletionRequest.TopP is a plain float); on
    /v1/chat/completions a 0 that was sent stays 0.
    """
    options: dict[str, Any] = {"temperature": body.get("temperature", 1.0)}
    top_p = body.get("top_p")
    unset = (None, 0) if completions else (None,)
    options["top_p"] = 1.0 if top_p in unset else top_p
    if body.get("max_tokens") is not None:
        options["num_predict"] = body["max_tokens"]
    if body.get("seed") is not None:
        options["seed"] = body["seed"]
    stop = body.get("stop")
    if isinstance(stop, str):
        options["stop"] = [stop]
    elif isinstance(stop, list):
        if completions and not all(isinstance(item, str) for item in stop):
            bad = next(item for item in stop if not isinstance(item, str))
            raise bad_request(f"invalid type for 'stop' field: {'float64' if isinstance(bad, (int, float)) else type(bad).__name__}")
        options["stop"] = [item for item in stop if isinstance(item, str)]
    for key in ("frequency_penalty", "presence_penalty"):
        if body.get(key) is not None or completions:
            options[key] = body.get(key) or 0.0
    return options


REASONING: dict[str, bool | str] = {"none": False, "minimal": "low", "low": "low", "medium": "medium", "high": "high", "max": "max", "xhigh": "max", "ultra": "max"}


def _think(body: dict[str, Any]) -> bool | str | None:
    """`reasoning_effort` (or `reasoning.effort`) as native `think`, mapped as Ollama maps it."""
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else body.get("reasoning_effort")
    if effort is None:
        return None
    if effort not in REASONING:
        raise bad_request(f'invalid reasoning value: {json.dumps(effort)} (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")')
    return REASONING[effort]


def _format(body: dict[str, Any]) -> Any:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_object":
        return "json"
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None
    return None


def _native_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """OpenAI messages as native ones: each content part becomes its own message, tool arguments become objects."""
    native: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for message in messages:
        if not isinstance(message, dict):
            raise bad_request("invalid message format")
        role = message.get("role", "")
        if role == "developer":
            # OpenAI's newer name for the system message; chat templates such as SmolLM2's know only "system".
            role = "system"
        content = message.get("content")
        tool_calls = message.get("tool_calls")
        parts: list[dict[str, Any]] = []
        if isinstance(content, str):
            parts.append({"role": role, "content": content})
        elif isinstance(content, list):
            for part in content:
                parts.append(_native_part(role, part))
        elif content is None and tool_calls:
            parts.append({"role": role, "content": ""})
        else:
            raise bad_request(f"invalid message content type: {_go_type(content)}")
        if tool_calls:
            parts[-1]["tool_calls"] = [_native_tool_call(call, call_names) for call in tool_calls]
        if role == "tool":
            name = message.get("name") or call_names.get(str(message.get("tool_call_id")), "")
            for part in parts:
                part["tool_name"] = name
                if message.get("tool_call_id"):
                    part["tool_call_id"] = message["tool_call_id"]
        native.extend(parts)
    return native


def _native_part(role: str, part: Any) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise bad_request("invalid message format")
    if part.get("type") == "text":
        return {"role": role, "content": part.get("text", "")}
    if part.get("type") == "image_url":
        url = part.get("image_url")
        url = url.get("url", "") if isinstance(url, dict) else url or ""
        if url.startswith(("http://", "https://")):
            raise bad_request("image URLs are not currently supported, please use base64 encoded data instead")
        for prefix in ("data:image/jpeg;base64,", "data:image/jpg;base64,", "data:image/png;base64,", "data:image/webp;base64,", "data:;base64,"):
            if url.startswith(prefix):
                return {"role": role, "content": "", "images": [url[len(prefix) :]]}
        raise bad_request("invalid image input")
    raise bad_request("invalid message format")


def _native_tool_call(call: Any, names: dict[str, str]) -> dict[str, Any]:
    function = call.get("function", {}) if isinstance(call, dict) else {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except (TypeError, ValueError):
        raise bad_request("invalid tool call arguments") from None
    if call.get("id"):
        names[call["id"]] = function.get("name", "")
    return {"id": call.get("id", ""), "function": {"index": call.get("index", 0), "name": function.get("name", ""), "arguments": arguments}}


def _go_type(value: object) -> str:
    if value is None:
        return "<nil>"
    return {bool: "bool", int: "float64", float: "float64", dict: "map[string]interface {}"}.get(type(value), type(value).__name__)


def _openai_tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Native calls in OpenAI's shape, keeping the id and index /api/chat gave them, as Ollama's ToToolCalls does."""
    return [
        {"id": call.get("id") or _call_id(), "index": call["function"].get("index", offset), "type": "function",
         "function": {"name": call["function"]["name"], "arguments": json.dumps(call["function"]["arguments"])}}
        for offset, call in enumerate(calls)
    ]


def _finish_reason(done_reason: str | None, had_tool_calls: bool) -> str | None:
    if done_reason == "stop" and had_tool_calls:
        return "tool_calls"
    return done_reason


def _usage(final: Chunk) -> dict[str, int]:
    prompt, completion = int(final.get("prompt_eval_count", 0)), int(final.get("eval_count", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


CHAT_FIELDS = {"stream": "bool", "max_tokens": "int", "seed": "int", "temperature": "float64", "frequency_penalty": "float64",
               "presence_penalty": "float64", "top_p": "float64", "logprobs": "bool", "top_logprobs": "int"}
"""Typed fields of Ollama's openai.ChatCompletionRequest: a value of another type is Go's 400 decode error, not a 500."""
COMPLETION_FIELDS = {"stream": "bool", "max_tokens": "int", "seed": "int", "temperature": "float32", "frequency_penalty": "float32",
                     "presence_penalty": "float32", "top_p": "float32", "suffix": "string", "logprobs": "int"}
"""The same for openai.CompletionRequest, whose numbers are float32."""


def _check_types(body: dict[str, Any], struct: str, fields: dict[str, str]) -> None:
    for name in body:
        if name in fields:
            typed(body, struct, name, fields[name])


async def chat_completions(request: Request) -> Response:
    body = await read_json(request)
    _check_types(body, "ChatCompletionRequest", CHAT_FIELDS)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("[] is too short - 'messages'")
    native = {
        "model": body.get("model", ""),
        "messages": _native_messages(messages),
        "think": _think(body),
        "options": _sampling_options(body, completions=False),
        "format": _format(body),
        "tools": body.get("tools"),
        "logprobs": body.get("logprobs") is True,
        "top_logprobs": body.get("top_logprobs") or 0,
    }
    if not native["model"]:
        raise GatewayError(400, "model is required")
    chunks = as_chunks(await gateway_of(request).chat(native))
    model = str(body["model"])
    identity = f"chatcmpl-{random.randint(0, 998)}"
    stream_options = body.get("stream_options") or {}
    if body.get("stream") is True:
        first, rest = await until_disconnect(request, first_and_rest(chunks))
        return _sse(request, _chat_events(request, identity, model, first, rest, bool(stream_options.get("include_usage"))))

    final = await whole_answer(request, chunks, "chat", keep_tool_calls=bool(body.get("tools")))
    calls = final["message"].get("tool_calls", [])
    message: dict[str, Any] = {"role": "assistant", "content": final["message"]["content"]}
    if calls:
        message["tool_calls"] = _openai_tool_calls(calls)
    return json_response({
        "id": identity, "object": "chat.completion", "created": int(time.time()), "model": model,
        "system_fingerprint": "fp_ollama",
        "choices": [_with_logprobs({"index": 0, "message": message, "finish_reason": _finish_reason(final.get("done_reason"), bool(calls))}, final)],
        "usage": _usage(final),
    }, media_type=OPENAI_JSON)


async def _chat_events(request: Request, identity: str, model: str, first: Chunk | None, rest: AsyncIterator[Chunk], include_usage: bool) -> AsyncIterator[Chunk]:
    created = int(time.time())
    base = {"id": identity, "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": "fp_ollama"}
    sent_role = False
    tool_call_count = 0
    chunk = first
    while chunk is not None:
        message = chunk.get("message", {})
        if chunk.get("done"):
            record_outcome(request, chunk)
            if not sent_role:
                yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
            reason = _finish_reason(chunk.get("done_reason"), tool_call_count > 0)
            yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}
            if include_usage:
                yield {**base, "choices": [], "usage": _usage(chunk)}
            return
        delta: dict[str, Any] = {"content": message.get("content", "")}
        if not sent_role:
            delta = {"role": "assistant", **delta}
            sent_role = True
        if message.get("tool_calls"):
            delta["tool_calls"] = _openai_tool_calls(message["tool_calls"])
            tool_call_count += len(message["tool_calls"])
        yield {**base, "choices": [_with_logprobs({"index": 0, "delta": delta, "finish_reason": None}, chunk)]}
        chunk = await anext(rest, None)


def _alternatives(body: dict[str, Any]) -> int:
    """/v1/completions' `logprobs: N`: N alternatives when N > 0, otherwise no log probabilities at all."""
    value = body.get("logprobs")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _with_logprobs(choice: Chunk, native: Chunk) -> Chunk:
    """An OpenAI chat choice with the native chunk's log probabilities, as `logprobs.content`, when it has any."""
    if native.get("logprobs"):
        choice["logprobs"] = {"content": native["logprobs"]}
    return choice


async def completions(request: Request) -> Response:
    body = await read_json(request)
    _check_types(body, "CompletionRequest", COMPLETION_FIELDS)
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise bad_request(f"json: cannot unmarshal {'array' if isinstance(prompt, list) else 'number'} into Go struct field CompletionRequest.prompt of type string")
    native = {
        "model": body.get("model", ""),
        "prompt": prompt,
        "suffix": body.get("suffix"),
        "options": _sampling_options(body, completions=True),
        # Ollama computes them for `logprobs: N` but its text completion carries none back (openai.ToCompletion).
        "logprobs": _alternatives(body) > 0,
        "top_logprobs": _alternatives(body),
        "raw": False,
    }
    chunks = as_chunks(await gateway_of(request).generate(native))
    model = str(body.get("model", ""))
    identity = f"cmpl-{random.randint(0, 998)}"
    stream_options = body.get("stream_options") or {}
    if body.get("stream") is True:
        first, rest = await until_disconnect(request, first_and_rest(chunks))
        return _sse(request, _completion_events(request, identity, model, first, rest, bool(stream_options.get("include_usage"))))

    final = await whole_answer(request, chunks, "generate", keep_tool_calls=False)
    return json_response({
        "id": identity, "object": "text_completion", "created": int(time.time()), "model": model,
        "system_fingerprint": "fp_ollama",
        "choices": [{"text": final.get("response", ""), "index": 0, "finish_reason": final.get("done_reason")}],
        "usage": _usage(final),
    }, media_type=OPENAI_JSON)


async def _completion_events(request: Request, identity: str, model: str, first: Chunk | None, rest: AsyncIterator[Chunk], include_usage: bool) -> AsyncIterator[Chunk]:
    zero = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    chunk = first
    while chunk is not None:
        done = bool(chunk.get("done"))
        event: Chunk = {"id": identity, "object": "text_completion", "created": int(time.time()), "model": model,
                        "system_fingerprint": "fp_ollama",
                        "choices": [{"text": chunk.get("response", ""), "index": 0, "finish_reason": chunk.get("done_reason") if done else None}]}
        if include_usage:
            event["usage"] = zero
        yield event
        if done:
            record_outcome(request, chunk)
            if include_usage:
                yield {**event, "choices": [], "usage": _usage(chunk)}
            return
        chunk = await anext(rest, None)


def _sse(request: Request, events: AsyncIterator[Chunk]) -> Response:
    async def body() -> AsyncIterator[bytes]:
        try:
            async for event in events:
                yield b"data: " + dumps(event) + b"\n\n"
        except GatewayError as error:
            yield b"data: " + dumps({"error": {"message": error.message, "type": ERROR_TYPES.get(error.status, "api_error"), "param": None, "code": None}}) + b"\n\n"
            return
        except Exception as error:  # noqa: BLE001 - reported in-band once the stream has started
            yield b"data: " + dumps({"error": {"message": str(error), "type": "api_error", "param": None, "code": None}}) + b"\n\n"
            return
        yield b"data: [DONE]\n\n"

    return StreamingResponse(body(), media_type="text/event-stream")


async def embeddings(request: Request) -> Response:
    body = await read_json(request)
    value = body.get("input")
    if value is None or value == []:
        raise bad_request("invalid input")
    inputs = [value] if isinstance(value, str) else value
    encoding = str(body.get("encoding_format") or "float")
    if encoding.lower() not in ("float", "base64"):
        raise bad_request(f"Invalid value for 'encoding_format' = {encoding}. Supported values: ['float', 'base64'].")
    native = {"model": body.get("model", ""), "input": inputs, "dimensions": body.get("dimensions")}
    result = await until_disconnect(request, gateway_of(request).embed(native))
    data = []
    for index, vector in enumerate(result["embeddings"]):
        encoded: Any = vector
        if encoding.lower() == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "embedding": encoded, "index": index})
    tokens = int(result.get("prompt_eval_count", 0))
    return json_response({"object": "list", "data": data, "model": body.get("model", ""),
                          "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}, media_type=OPENAI_JSON)


def _model_entry(identifier: str, created: int, name: str) -> dict[str, Any]:
    parsed = parse_name(name)
    return {"id": identifier, "object": "model", "created": created, "owned_by": parsed.namespace if parsed else "library"}


async def list_models(request: Request) -> Response:
    records = gateway_of(request).store.list()
    data = [_model_entry(r.name.short, int(r.modified_at.timestamp()), r.name.short) for r in records]
    return json_response({"object": "list", "data": data or None}, media_type=OPENAI_JSON)


async def retrieve_model(request: Request) -> Response:
    identifier = request.path_params["model"]
    request.scope.setdefault("state", {})["model"] = identifier
    parsed = parse_name(identifier)
    record = gateway_of(request).store.find(identifier) if parsed else None
    if record is None:
        shown = parsed.short if parsed else identifier
        raise GatewayError(404, f"model '{shown}' not found")
    return json_response(_model_entry(identifier, int(record.modified_at.timestamp()), identifier), media_type=OPENAI_JSON)


routes = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/completions", completions, methods=["POST"]),
    Route("/v1/embeddings", embeddings, methods=["POST"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model}", retrieve_model, methods=["GET"]),
]

