"""Tool calls as a client sees them: requests that lead a model to a call, and the calls read back from native and
OpenAI answers, streamed or not, the way ollama-python and the OpenAI SDK assemble them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from support.framing import parse_ndjson, parse_sse_json
from support.http import Exchange
from support.ollama import WEATHER_CALL_FORMAT, WEATHER_TOOL

QUESTION = "What is the weather in Boston right now?"
CALL_ID = re.compile(r"call_[a-z0-9]{8}")

MALFORMED_CALL = "<tool_call>{name: get_weather, arguments: {location: Boston}</tool_call>"
"""A call between the tool-call tags whose JSON does not parse: unquoted keys and a missing brace."""
MALFORMED_CALL_FORMAT = {"const": MALFORMED_CALL}
"""A `format` that leaves the model nothing to write but MALFORMED_CALL, so a real model produces the broken call."""

RESULT = "22 degrees Celsius and sunny"
"""What the weather tool answers in a replayed history; the model's next answer should use it."""
ANSWER_FROM_RESULTS = "You are a helpful assistant. When a tool result is given, answer the user's question in one sentence using it."
"""The system prompt of a replayed history: a 1.5B model otherwise tends to call the tool again."""


@dataclass(frozen=True)
class ReadCall:
    """One call as the client assembled it: the id and index it came with, its name and its argument text."""

    id: object
    index: object
    name: str
    arguments: str

    def argument_object(self) -> Any:
        """The arguments parsed as JSON; raises if the joined text is not JSON."""
        return json.loads(self.arguments)


@dataclass(frozen=True)
class ReadAnswer:
    """What a client makes of a chat answer: its text, its calls, and why it ended."""

    content: str
    calls: list[ReadCall]
    finish: str | None
    pieces_without_id_or_index: int = 0


def native_request(model: str, *, stream: bool, format: Any = None, budget: int = 64, **extra: Any) -> dict[str, Any]:
    """/api/chat asking about the weather with the weather tool offered."""
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": QUESTION}], "tools": [WEATHER_TOOL],
                            "stream": stream, "options": {"temperature": 0, "seed": 42, "num_predict": budget}, **extra}
    if format is not None:
        body["format"] = format
    return body


def openai_request(model: str, *, stream: bool, schema: Any = None, budget: int = 64, **extra: Any) -> dict[str, Any]:
    """/v1/chat/completions asking about the weather with the weather tool offered."""
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": QUESTION}], "tools": [WEATHER_TOOL],
                            "stream": stream, "temperature": 0, "seed": 42, "max_tokens": budget, **extra}
    if schema is not None:
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "call", "schema": schema}}
    return body


FORCED_CALL = WEATHER_CALL_FORMAT
"""A format that holds the model to a well-formed call of the weather tool."""


def native_history(call_id: str) -> list[dict[str, Any]]:
    """A conversation in which the model called the weather tool and the tool answered, in /api/chat's form."""
    return [
        {"role": "system", "content": ANSWER_FROM_RESULTS},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": call_id, "function": {"index": 0, "name": "get_weather", "arguments": {"location": "Boston"}}}]},
        {"role": "tool", "content": RESULT, "tool_name": "get_weather", "tool_call_id": call_id},
    ]


def openai_history(call_id: str) -> list[dict[str, Any]]:
    """The same conversation in OpenAI's form: arguments as a JSON string, the result matched by tool_call_id alone."""
    return [
        {"role": "system", "content": ANSWER_FROM_RESULTS},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Boston"}'}}]},
        {"role": "tool", "content": RESULT, "tool_call_id": call_id},
    ]


def read_native(exchange: Exchange) -> ReadAnswer:
    """A native answer, streamed or not, read as ollama-python reads it: content joined, calls collected in order."""
    chunks = parse_ndjson(exchange.body) if exchange.content_type.startswith("application/x-ndjson") else [exchange.json()]
    content, calls, finish = "", [], None
    for chunk in chunks:
        message = chunk.get("message") or {}
        content += message.get("content") or ""
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            calls.append(ReadCall(call.get("id"), function.get("index"), str(function.get("name")), json.dumps(function.get("arguments"))))
        if chunk.get("done"):
            finish = chunk.get("done_reason")
    return ReadAnswer(content, calls, finish)


def read_openai(exchange: Exchange) -> ReadAnswer:
    """An OpenAI answer read as the OpenAI SDK reads it; a stream's call pieces are joined by their index."""
    if not exchange.content_type.startswith("text/event-stream"):
        choice = exchange.json()["choices"][0]
        message = choice["message"]
        calls = [ReadCall(c.get("id"), c.get("index"), c["function"]["name"], c["function"]["arguments"]) for c in message.get("tool_calls") or []]
        return ReadAnswer(message.get("content") or "", calls, choice.get("finish_reason"))
    content, finish, missing = "", None, 0
    joined: dict[Any, dict[str, Any]] = {}
    for chunk in parse_sse_json(exchange.body):
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            content += delta.get("content") or ""
            finish = choice.get("finish_reason") or finish
            for piece in delta.get("tool_calls") or []:
                if piece.get("id") is None or piece.get("index") is None:
                    missing += 1
                call = joined.setdefault(piece.get("index"), {"id": piece.get("id"), "name": "", "arguments": ""})
                function = piece.get("function") or {}
                call["name"] += function.get("name") or ""
                call["arguments"] += function.get("arguments") or ""
    calls = [ReadCall(call["id"], index, call["name"], call["arguments"]) for index, call in joined.items()]
    return ReadAnswer(content, calls, finish, missing)


def call_problems(answer: ReadAnswer, tool: str, argument: str) -> list[str]:
    """What is wrong with the calls of an answer that should call `tool` with `argument`, each call with an id and index."""
    problems = [f"a streamed call piece came without an id or index ({answer.pieces_without_id_or_index})"] if answer.pieces_without_id_or_index else []
    if not any(call.name == tool for call in answer.calls):
        problems.append(f"no call of {tool}: {answer.calls}")
    for call in answer.calls:
        if not isinstance(call.id, str) or not CALL_ID.fullmatch(call.id):
            problems.append(f"call id {call.id!r} is not call_ and eight characters from [a-z0-9]")
        if not isinstance(call.index, int):
            problems.append(f"call index {call.index!r} is not a number")
        try:
            arguments = call.argument_object()
        except ValueError:
            problems.append(f"the arguments {call.arguments!r} do not join into JSON")
            continue
        if call.name == tool and not (isinstance(arguments, dict) and argument in arguments):
            problems.append(f"the arguments {arguments!r} have no {argument!r}")
    if [call.index for call in answer.calls] != list(range(len(answer.calls))):
        problems.append(f"the calls are not numbered 0, 1, ... in order: {[call.index for call in answer.calls]}")
    if len({call.id for call in answer.calls}) != len(answer.calls):
        problems.append("two calls share an id")
    return problems


def leaked_call(content: str, tool: str) -> bool:
    """Whether the content carries a call: the tool's name or the tool-call tag."""
    return tool in content or "<tool_call>" in content or "</tool_call>" in content
