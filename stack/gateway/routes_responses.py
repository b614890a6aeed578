"""POST /v1/responses, OpenAI's Responses API, stateless as Ollama serves it: a native chat underneath.

The request becomes a native chat body (instructions and input items as messages, flat tools as native ones)
and the native chunks come back as a response object, or as Responses SSE events numbered from 0 with no
`[DONE]`. `previous_response_id`, `store` and the like are read as unknown fields and ignored, as in Ollama.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .errors import GatewayError, bad_request
from .framing import Chunk, as_chunks, dumps, first_and_rest, json_response, record_outcome, until_disconnect, whole_answer
from .routes_ollama import gateway_of
from .routes_openai import OPENAI_JSON, _call_id, _think, read_json
from .validation import typed

log = logging.getLogger("stack.gateway.responses")
STRUCT = "ResponsesRequest"
IMAGE_PREFIXES = ("data:image/jpeg;base64,", "data:image/jpg;base64,", "data:image/png;base64,", "data:image/webp;base64,", "data:;base64,")
SSE_HEADERS = {"Cache-Control": "no-cache"}


# -- request: Responses -> native chat -------------------------------------------------------------


def native_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The native /api/chat body for a Responses request, as Ollama's FromResponsesRequest builds it."""
    model = typed(body, STRUCT, "model", "string") or ""
    instructions = typed(body, STRUCT, "instructions", "string")
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}] if instructions else []
    messages += input_messages(body.get("input"))
    native: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "options": _options(body),
        "think": _think(body),
        "tools": native_tools(body.get("tools")),
    }
    schema = _schema(body.get("text"))
    if schema is not None:
        native["format"] = schema
    return native


def _options(body: dict[str, Any]) -> dict[str, Any]:
    # An absent temperature is 1.0, overriding the Modelfile's, as Ollama does on this route alone.
    temperature = typed(body, STRUCT, "temperature", "float64")
    options: dict[str, Any] = {"temperature": 1.0 if temperature is None else temperature}
    top_p = typed(body, STRUCT, "top_p", "float64")
    if top_p is not None:
        options["top_p"] = top_p
    max_output_tokens = typed(body, STRUCT, "max_output_tokens", "int")
    if max_output_tokens is not None:
        options["num_predict"] = max_output_tokens
    return options


def _schema(text: object) -> dict[str, Any] | None:
    """`text.format` of type json_schema as a native format; json_object is ignored, as Ollama ignores it."""
    if text is None:
        return None
    if not isinstance(text, dict):
        raise bad_request("json: cannot unmarshal text into Go struct field ResponsesRequest.text")
    form = text.get("format")
    if isinstance(form, dict) and form.get("type") == "json_schema":
        schema = form.get("schema")
        return schema if isinstance(schema, dict) else None
    return None


def input_messages(value: object) -> list[dict[str, Any]]:
    """`input` as native messages: a string is one user message; items become messages, tool calls and results."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise bad_request(f"input must be a string or array: {json.dumps(value)}")
    messages: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    thinking: str | None = None
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("input item must be an object")
        kind = item.get("type") or ("message" if item.get("role") else None)
        if kind is None:
            raise bad_request("input item missing required 'type' field")
        if kind == "message":
            message = _message(item)
            if thinking and message["role"] == "assistant":
                message["thinking"], thinking = thinking, None
            messages.append(message)
        elif kind == "function_call":
            call = _function_call(item, names)
            if messages and messages[-1]["role"] == "assistant":
                messages[-1].setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
            if thinking:
                messages[-1]["thinking"], thinking = thinking, None
        elif kind == "function_call_output":
            messages.append(_function_call_output(item, names))
        elif kind == "reasoning":
            # Ollama round-trips the raw thinking through encrypted_content, not the summary.
            content = item.get("encrypted_content")
            thinking = content if isinstance(content, str) and content else thinking
        elif kind == "web_search_call":
            continue
        else:
            raise bad_request(f"unknown input item type: {json.dumps(kind)}")
    return messages


def _message(item: dict[str, Any]) -> dict[str, Any]:
    role = item.get("role")
    if not isinstance(role, str):
        raise bad_request("input message missing required 'role' field")
    # Codex sends its context as developer messages; chat templates such as SmolLM2's know only "system".
    role = "system" if role == "developer" else role
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise bad_request("input message content must be a string or array")
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            raise bad_request("input message content part must be an object")
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            texts.append(_text(part.get("text")))
        elif kind == "input_image":
            image = _image(part)
            if image:
                images.append(image)
        elif kind == "input_file":
            raise bad_request("file inputs are not currently supported")
        else:
            raise bad_request(f"unknown content type: {kind}")
    message: dict[str, Any] = {"role": role, "content": "".join(texts)}
    if images:
        message["images"] = images
    return message


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request("text must be a string")
    return value


def _image(part: dict[str, Any]) -> str | None:
    url = part.get("image_url")
    if url is None:
        return None  # a part carrying only file_id is skipped, as Ollama skips it
    if not isinstance(url, str):
        raise bad_request("image_url must be a string")
    if url.startswith(("http://", "https://")):
        raise bad_request("image URLs are not currently supported, please use base64 encoded data instead")
    for prefix in IMAGE_PREFIXES:
        if url.startswith(prefix):
            return url[len(prefix) :]
    raise bad_request("invalid image input")


def _function_call(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    name, call_id, arguments = item.get("name"), item.get("call_id"), item.get("arguments")
    if not isinstance(name, str) or not name:
        raise bad_request("function_call missing required 'name' field")
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) and arguments else {}
    except ValueError as error:
        raise bad_request(f"failed to parse function call arguments: {error}") from None
    if not isinstance(parsed, dict):
        raise bad_request("function call arguments must be a JSON object")
    call: dict[str, Any] = {"function": {"name": name, "arguments": parsed}}
    if isinstance(call_id, str) and call_id:
        call["id"] = call_id
        names[call_id] = name
    return call


def _function_call_output(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    call_id, output = item.get("call_id"), item.get("output")
    if isinstance(output, str):
        text = output
    elif isinstance(output, list):
        text = "".join(_text(part.get("text")) for part in output if isinstance(part, dict) and part.get("type") in ("input_text", "output_text"))
    else:
        raise bad_request("function_call_output output must be a string or array")
    message: dict[str, Any] = {"role": "tool", "content": text}
    if isinstance(call_id, str) and call_id:
        message["tool_call_id"] = call_id
        if call_id in names:
            message["tool_name"] = names[call_id]
    return message


def native_tools(tools: object) -> list[dict[str, Any]] | None:
    """Flat Responses tools as native function tools; a namespace's members become `ns.member`.

    Tools the server would run itself (web_search needs ollama.com) are left out: a local stack has none.
    """
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise bad_request("json: cannot unmarshal tools into Go struct field ResponsesRequest.tools")
    native: list[dict[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, dict):
            raise bad_request("tool must be an object")
        if tool.get("type") == "namespace":
            members = tool.get("tools")
            if isinstance(members, list):
                native += [_function_tool(member, f"{tool.get('name')}.") for member in members if isinstance(member, dict)]
        elif tool.get("type") == "function":
            native.append(_function_tool(tool, ""))
    return native or None


def _function_tool(tool: dict[str, Any], prefix: str) -> dict[str, Any]:
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request("function tool missing required 'name' field")
    function: dict[str, Any] = {"name": prefix + name, "description": tool.get("description") or ""}
    parameters = tool.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, dict):
            raise bad_request(f"invalid parameters for tool {json.dumps(name)}")
        function["parameters"] = parameters
    return {"type": "function", "function": function}


# -- response: native chunks -> Responses ----------------------------------------------------------


def response_object(identity: str, body: dict[str, Any], created_at: int, status: str, output: list[Chunk], usage: Chunk | None) -> Chunk:
    """The response object with Ollama's fixed set of keys; the request's settings are echoed."""
    reasoning = body.get("reasoning")
    text = body.get("text")
    form = text.get("format") if isinstance(text, dict) and isinstance(text.get("format"), dict) else {"type": "text"}
    return {
        "id": identity,
        "object": "response",
        "created_at": created_at,
        "completed_at": int(time.time()) if status == "completed" else None,
        "status": status,
        "incomplete_details": None,
        "model": body.get("model", ""),
        "previous_response_id": None,
        "instructions": body.get("instructions"),
        "output": output,
        "error": None,
        "tools": body.get("tools") or [],
        "tool_choice": "auto",
        "truncation": body.get("truncation") or "disabled",
        "parallel_tool_calls": True,
        "text": {"format": form},
        "top_p": _number(body.get("top_p"), 1.0),
        "temperature": _number(body.get("temperature"), 1.0),
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "top_logprobs": 0,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")} if isinstance(reasoning, dict) and reasoning else None,
        "usage": usage,
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "store": False,
        "background": bool(body.get("background")),
        "service_tier": "default",
        "metadata": {},
        "safety_identifier": None,
        "prompt_cache_key": None,
    }


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def usage_of(final: Chunk) -> Chunk:
    """Responses usage from the native final chunk's counts."""
    prompt, completion = int(final.get("prompt_eval_count", 0)), int(final.get("eval_count", 0))
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def message_item(identity: str, text: str, status: str = "completed") -> Chunk:
    content = [_text_part(text)] if status == "completed" else []
    return {"id": identity, "type": "message", "status": status, "role": "assistant", "content": content}


def _text_part(text: str) -> Chunk:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def function_call_item(identity: str, call: Chunk, status: str = "completed") -> Chunk:
    function = call.get("function", {})
    arguments = json.dumps(function.get("arguments", {}), ensure_ascii=False) if status == "completed" else ""
    return {"id": identity, "type": "function_call", "status": status, "call_id": call.get("id") or _call_id(),
            "name": function.get("name", ""), "arguments": arguments}


def output_items(response_id: str, final: Chunk) -> list[Chunk]:
    """Function calls, or else one message: when the model calls tools, Ollama leaves its text out."""
    calls = final.get("message", {}).get("tool_calls") or []
    if calls:
        return [function_call_item(f"fc_{response_id}_{index}", {**call, "id": call.get("id") or _call_id()}) for index, call in enumerate(calls)]
    return [message_item(f"msg_{random.randint(0, 999999)}", final.get("message", {}).get("content", ""))]


# -- the route -------------------------------------------------------------------------------------


async def responses(request: Request) -> Response:
    body = await read_json(request)
    native = native_chat(body)
    chunks = as_chunks(await gateway_of(request).chat(native))
    identity = f"resp_{random.randint(0, 999998)}"
    created_at = int(time.time())
    stream = typed(body, STRUCT, "stream", "bool")
    if stream:
        first, rest = await until_disconnect(request, first_and_rest(chunks))
        events = stream_events(identity, body, created_at, first, rest, lambda final: record_outcome(request, final))
        return StreamingResponse(sse(events), media_type="text/event-stream", headers=SSE_HEADERS)
    final = await whole_answer(request, chunks, "chat", keep_tool_calls=bool(native["tools"]))
    # Ollama reports "completed" whatever the done reason, a budget cut included; it never says "incomplete".
    answer = response_object(identity, body, created_at, "completed", output_items(identity, final), usage_of(final))
    return json_response(answer, media_type=OPENAI_JSON)


async def stream_events(
    identity: str, body: dict[str, Any], created_at: int, first: Chunk | None, rest: AsyncIterator[Chunk], on_final: Callable[[Chunk], None] | None = None,
) -> AsyncIterator[Chunk]:
    """The Responses events for a stream of native chunks, in Ollama's order, each numbered from 0."""
    sequence = 0

    def event(kind: str, **fields: Any) -> Chunk:
        nonlocal sequence
        sequence += 1
        return {"type": kind, "sequence_number": sequence - 1, **fields}

    started = response_object(identity, body, created_at, "in_progress", [], None)
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    output: list[Chunk] = []
    text_id: str | None = None
    text: list[str] = []
    calls = 0

    def close_text() -> list[Chunk]:
        nonlocal text_id
        if text_id is None:
            return []
        whole = "".join(text)
        index = len(output)
        item = message_item(text_id, whole)
        output.append(item)
        closing = [
            event("response.output_text.done", item_id=text_id, output_index=index, content_index=0, text=whole, logprobs=[]),
            event("response.content_part.done", item_id=text_id, output_index=index, content_index=0, part=_text_part(whole)),
            event("response.output_item.done", output_index=index, item=item),
        ]
        text_id = None
        return closing

    def open_text() -> list[Chunk]:
        nonlocal text_id
        text_id = f"msg_{random.randint(0, 999999)}"
        index = len(output)
        return [
            event("response.output_item.added", output_index=index, item=message_item(text_id, "", "in_progress")),
            event("response.content_part.added", item_id=text_id, output_index=index, content_index=0, part=_text_part("")),
        ]

    chunk = first
    try:
        while chunk is not None:
            message = chunk.get("message", {})
            content = message.get("content", "")
            if content and not calls:
                if text_id is None:
                    for opening in open_text():
                        yield opening
                text.append(content)
                yield event("response.output_text.delta", item_id=text_id, output_index=len(output), content_index=0, delta=content, logprobs=[])
            for call in message.get("tool_calls") or []:
                for closing in close_text():
                    yield closing
                item = function_call_item(f"fc_{random.randint(0, 999999)}_{calls}", call)
                calls += 1
                index = len(output)
                output.append(item)
                yield event("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "arguments": ""})
                yield event("response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=item["arguments"])
                yield event("response.function_call_arguments.done", item_id=item["id"], output_index=index, name=item["name"], arguments=item["arguments"])
                yield event("response.output_item.done", output_index=index, item=item)
            if chunk.get("done"):
                if on_final is not None:
                    on_final(chunk)
                if not output and text_id is None:
                    for opening in open_text():
                        yield opening
                for closing in close_text():
                    yield closing
                yield event("response.completed", response=response_object(identity, body, created_at, "completed", output, usage_of(chunk)))
                return
            chunk = await anext(rest, None)
    except GatewayError as error:
        # As in Ollama, a failure after the stream began just ends it: no response.completed, no response.failed.
        log.warning("responses stream %s ended early: %s", identity, error.message)


async def sse(events: AsyncIterator[Chunk]) -> AsyncIterator[bytes]:
    """`event: <type>` and `data: <json>` frames; the stream simply closes after the last, with no [DONE]."""
    async for item in events:
        yield b"event: " + str(item["type"]).encode() + b"\ndata: " + dumps(item) + b"\n\n"


routes = [Route("/v1/responses", responses, methods=["POST"])]
