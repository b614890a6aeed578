"""POST /v1/messages, Anthropic's Messages API, as Ollama serves it: a native chat underneath.

The request becomes a native chat body (system and content blocks as messages, tool_use and tool_result as
native tool calls and tool messages) and the native chunks come back as a message, or as Anthropic's SSE events.
Errors use Anthropic's envelope. POST /v1/messages/count_tokens goes beyond Ollama, which has no such route.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .errors import GatewayError, bad_request
from .framing import Chunk, as_chunks, first_and_rest, json_response, record_outcome, until_disconnect, whole_answer
from .routes_ollama import gateway_of
from .routes_openai import _call_id, read_json
from .routes_responses import SSE_HEADERS, sse
from .service import _decode_message, _with_model_defaults
from .templates import render_chat
from .validation import typed

log = logging.getLogger("stack.gateway.anthropic")
STRUCT = "MessagesRequest"
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
               429: "rate_limit_error", 503: "overloaded_error", 529: "overloaded_error"}
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}


def anthropic_error(error: GatewayError) -> Response:
    """Anthropic's error envelope, with Ollama's status and text."""
    body = {"type": "error", "error": {"type": ERROR_TYPES.get(error.status, "api_error"), "message": error.message},
            "request_id": f"req_{secrets.token_hex(12)}"}
    return json_response(body, error.status, "application/json")


# -- request: Messages -> native chat --------------------------------------------------------------


def native_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The native /api/chat body for a Messages request, checked in the order Ollama's middleware checks it."""
    model = typed(body, STRUCT, "model", "string") or ""
    max_tokens = typed(body, STRUCT, "max_tokens", "int")
    messages = typed(body, STRUCT, "messages", "[]api.Message")
    typed(body, STRUCT, "stream", "bool")
    if not model:
        raise bad_request("model is required")
    if max_tokens is None or max_tokens <= 0:
        raise bad_request("max_tokens is required and must be positive")
    if not messages:
        raise bad_request("messages is required")
    native_messages = system_messages(body.get("system"))
    names: dict[str, str] = {}
    for message in messages:
        native_messages += convert_message(message, names)
    # Thinking is not passed on: none of the stack's models can think, and Ollama's relax_thinking drops it then.
    return {"model": model, "messages": native_messages, "options": _options(body, max_tokens), "tools": native_tools(body.get("tools"))}


def _options(body: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """max_tokens always; temperature, top_p and top_k only when sent, so the Modelfile's apply otherwise."""
    options: dict[str, Any] = {"num_predict": max_tokens}
    for key, go_type in (("temperature", "float64"), ("top_p", "float64"), ("top_k", "int")):
        value = typed(body, STRUCT, key, go_type)
        if value is not None:
            options[key] = value
    stop = body.get("stop_sequences")
    if stop is not None:
        if not isinstance(stop, list) or not all(isinstance(item, str) for item in stop):
            raise bad_request("json: cannot unmarshal stop_sequences into Go struct field MessagesRequest.stop_sequences of type []string")
        options["stop"] = stop
    return options


def system_messages(system: object) -> list[dict[str, Any]]:
    """`system` as one system message: a string, or the texts of its text blocks joined with no separator."""
    if system is None or system == "":
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    if not isinstance(system, list):
        raise bad_request("system must be a string or an array of content blocks")
    texts = [block["text"] for block in system if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)]
    return [{"role": "system", "content": "".join(texts)}] if texts else []


def convert_message(message: object, names: dict[str, str]) -> list[dict[str, Any]]:
    """One Messages turn as native messages: its tool results first, each a tool message, then the turn itself."""
    if not isinstance(message, dict):
        raise bad_request("message must be an object")
    role = message.get("role")
    if not isinstance(role, str):
        raise bad_request("message missing required 'role' field")
    role = role.lower()
    content = message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        raise bad_request("message content must be a string or an array of content blocks")
    texts: list[str] = []
    images: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    thinking = ""
    for block in content:
        if not isinstance(block, dict):
            raise bad_request("content block must be an object")
        kind = block.get("type")
        if kind == "text":
            texts.append(_string(block.get("text"), "text"))
        elif kind == "image":
            images.append(_image(block.get("source")))
        elif kind == "tool_use":
            calls.append(_tool_use(block, names))
        elif kind == "tool_result":
            results.append(_tool_result(block, names))
        elif kind == "thinking":
            thinking += _string(block.get("thinking"), "thinking")
        # Other block types (document, redacted_thinking, ...) are dropped, as Ollama drops them.
    turn: dict[str, Any] = {"role": role, "content": "".join(texts)}
    if images:
        turn["images"] = images
    if calls:
        turn["tool_calls"] = calls
    if thinking:
        turn["thinking"] = thinking
    if results and not (texts or images or calls or thinking):
        return results
    return [*results, turn]


def _string(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a string")
    return value


def _image(source: object) -> str:
    if not isinstance(source, dict):
        raise bad_request("image block missing required 'source' field")
    kind = source.get("type")
    if kind != "base64":
        raise bad_request(f"invalid image source type: {kind}. Only base64 images are supported.")
    return _string(source.get("data"), "data")


def _tool_use(block: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    identity, name, arguments = block.get("id"), block.get("name"), block.get("input")
    if not isinstance(identity, str) or not identity:
        raise bad_request("tool_use block missing required 'id' field")
    if not isinstance(name, str) or not name:
        raise bad_request("tool_use block missing required 'name' field")
    if arguments is not None and not isinstance(arguments, dict):
        raise bad_request("tool_use input must be an object")
    names[identity] = name
    return {"id": identity, "function": {"name": name, "arguments": arguments or {}}}


def _tool_result(block: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    content = block.get("content")
    images: list[str] = []
    if content is None or isinstance(content, str):
        text = content or ""
    elif isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(_string(part.get("text"), "text"))
            elif isinstance(part, dict) and part.get("type") == "image":
                images.append(_image(part.get("source")))
        text = "".join(parts)
    else:
        raise bad_request("tool_result content must be a string or an array of content blocks")
    message: dict[str, Any] = {"role": "tool", "content": text}
    identity = block.get("tool_use_id")
    if isinstance(identity, str) and identity:
        message["tool_call_id"] = identity
        if identity in names:
            message["tool_name"] = names[identity]
    if images:
        message["images"] = images
    return message


def native_tools(tools: object) -> list[dict[str, Any]] | None:
    """Anthropic tools as native function tools; server tools such as web_search need ollama.com and are left out."""
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise bad_request("json: cannot unmarshal tools into Go struct field MessagesRequest.tools")
    native = []
    for tool in tools:
        if not isinstance(tool, dict):
            raise bad_request("tool must be an object")
        if str(tool.get("type") or "").startswith("web_search"):
            continue
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("tool missing required 'name' field")
        schema = tool.get("input_schema")
        if schema is not None and not isinstance(schema, dict):
            raise bad_request(f"invalid input_schema for tool {json.dumps(name)}: expected an object")
        function: dict[str, Any] = {"name": name, "description": tool.get("description") or ""}
        if schema is not None:
            function["parameters"] = schema
        native.append({"type": "function", "function": function})
    return native or None


# -- response: native chunks -> Messages -----------------------------------------------------------


def stop_reason(done_reason: str | None, had_tool_calls: bool) -> str | None:
    """Ollama's mapping: tool calls first, then stop and length; a matched stop sequence reads as end_turn."""
    if had_tool_calls:
        return "tool_use"
    if not done_reason:
        return None
    return STOP_REASONS.get(done_reason, "stop_sequence")


def tool_use_block(call: Chunk) -> Chunk:
    function = call.get("function", {})
    return {"type": "tool_use", "id": call.get("id") or _call_id(), "name": function.get("name", ""), "input": function.get("arguments") or {}}


def message_object(identity: str, model: str, final: Chunk) -> Chunk:
    """The non-streamed message: text, then tool_use blocks, the stop reason and usage."""
    message = final.get("message", {})
    calls = message.get("tool_calls") or []
    # Ollama sends content null for an empty answer; the SDKs type it as a list, so an empty one is sent.
    content: list[Chunk] = [{"type": "text", "text": message["content"]}] if message.get("content") else []
    content += [tool_use_block(call) for call in calls]
    answer: Chunk = {"id": identity, "type": "message", "role": "assistant", "model": model, "content": content}
    reason = stop_reason(final.get("done_reason"), bool(calls))
    if reason is not None:
        answer["stop_reason"] = reason
    answer["stop_sequence"] = None
    answer["usage"] = usage_of(final)
    return answer


def usage_of(final: Chunk) -> Chunk:
    return {"input_tokens": int(final.get("prompt_eval_count", 0)), "output_tokens": int(final.get("eval_count", 0))}


def estimated_input_tokens(native: dict[str, Any]) -> int:
    """Ollama's estimate for message_start, before the real count is known: a token per four characters."""
    characters = sum(len(str(message.get("role", ""))) + len(str(message.get("content", ""))) for message in native["messages"])
    characters += len(json.dumps(native.get("tools") or []))
    return characters // 4


# -- routes ----------------------------------------------------------------------------------------


async def messages(request: Request) -> Response:
    try:
        body = await read_json(request)
        native = native_chat(body)
        chunks = as_chunks(await gateway_of(request).chat(native))
        identity = f"msg_{secrets.token_hex(12)}"
        model = str(body["model"])
        if body.get("stream") is True:
            first, rest = await until_disconnect(request, first_and_rest(chunks))
            events = stream_events(identity, model, estimated_input_tokens(native), first, rest, lambda final: record_outcome(request, final))
            return StreamingResponse(sse(events), media_type="text/event-stream", headers=SSE_HEADERS)
        final = await whole_answer(request, chunks, "chat", keep_tool_calls=bool(native["tools"]))
    except GatewayError as error:
        return anthropic_error(error)
    return json_response(message_object(identity, model, final), media_type="application/json")


async def stream_events(
    identity: str, model: str, estimate: int, first: Chunk | None, rest: AsyncIterator[Chunk], on_final: Callable[[Chunk], None] | None = None,
) -> AsyncIterator[Chunk]:
    """message_start, each block's start, deltas and stop, message_delta with usage, message_stop, as Ollama sends them."""
    yield {"type": "message_start", "message": {"id": identity, "type": "message", "role": "assistant", "model": model, "content": [],
                                                 "usage": {"input_tokens": estimate, "output_tokens": 0}}}
    index = 0
    text_open = False
    calls = 0
    chunk = first
    try:
        while chunk is not None:
            message = chunk.get("message", {})
            if message.get("content"):
                if not text_open:
                    # The empty "text" key must be there: the SDKs append each delta to it.
                    yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
                    text_open = True
                yield {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": message["content"]}}
            for call in message.get("tool_calls") or []:
                if text_open:
                    yield {"type": "content_block_stop", "index": index}
                    index, text_open = index + 1, False
                block = tool_use_block(call)
                yield {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}}
                yield {"type": "content_block_delta", "index": index,
                       "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"], ensure_ascii=False)}}
                yield {"type": "content_block_stop", "index": index}
                index, calls = index + 1, calls + 1
            if chunk.get("done"):
                if on_final is not None:
                    on_final(chunk)
                if text_open:
                    yield {"type": "content_block_stop", "index": index}
                delta: Chunk = {}
                reason = stop_reason(chunk.get("done_reason"), calls > 0)
                if reason is not None:
                    delta["stop_reason"] = reason
                yield {"type": "message_delta", "delta": delta, "usage": usage_of(chunk)}
                yield {"type": "message_stop"}
                return
            chunk = await anext(rest, None)
    except GatewayError as error:
        # As in Ollama, a failure after the stream began just ends it, with no message_stop and no error event.
        log.warning("messages stream %s ended early: %s", identity, error.message)


async def count_tokens(request: Request) -> Response:
    """The prompt tokens the same request would read, counted with the model's own template and tokenizer.

    Ollama has no such route (404); mistral.rs's server has one, and Claude Code calls it to size its context.
    """
    try:
        body = await read_json(request)
        native = native_chat({**body, "max_tokens": body.get("max_tokens") or 1})
        gateway = gateway_of(request)
        record = gateway.require_model(native["model"])
        messages = _with_model_defaults(record, [_decode_message(message) for message in native["messages"]])
        prompt = render_chat(record.template, messages, native["tools"])
        async with gateway.scheduler.slot(record, None) as slot:
            tokens = await asyncio.to_thread(slot.runner.model.tokenize, prompt)
    except GatewayError as error:
        return anthropic_error(error)
    return json_response({"input_tokens": len(tokens)}, media_type="application/json")


routes = [
    Route("/v1/messages", messages, methods=["POST"]),
    Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
]
