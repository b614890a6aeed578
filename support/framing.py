"""Stream framing: Ollama's NDJSON and OpenAI's server-sent events.

Native clients (ollama-python, Open WebUI) call ``json.loads`` on every line, so a blank line or an
SSE ``data:`` prefix on a native endpoint breaks them; OpenAI clients expect ``data: <json>`` frames
separated by a blank line and a final ``data: [DONE]``.
"""

from __future__ import annotations

import json
from typing import Any

NDJSON_CONTENT_TYPE = "application/x-ndjson"
SSE_CONTENT_TYPE = "text/event-stream"
SSE_DONE = "[DONE]"


def ndjson_problems(body: bytes) -> list[str]:
    """Every way the body breaks "one JSON object per newline-terminated line"."""
    if not body:
        return ["the stream is empty"]
    problems: list[str] = []
    if not body.endswith(b"\n"):
        problems.append("the last line is not terminated by a newline")
    for number, line in enumerate(body.split(b"\n")[:-1], start=1):
        if not line.strip():
            problems.append(f"line {number} is blank")
            continue
        if line.startswith(b"data:") or line.startswith(b"event:"):
            problems.append(f"line {number} uses SSE framing: {line[:60]!r}")
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            problems.append(f"line {number} is not JSON ({error}): {line[:60]!r}")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {number} is JSON but not an object: {line[:60]!r}")
    return problems


def parse_ndjson(body: bytes) -> list[dict[str, Any]]:
    """The objects of a well-framed NDJSON stream; raises ValueError on bad framing."""
    problems = ndjson_problems(body)
    if problems:
        raise ValueError("; ".join(problems))
    return [json.loads(line) for line in body.split(b"\n")[:-1]]


def sse_events(body: bytes) -> list[str]:
    """The data payloads of an SSE stream, in order, including the ``[DONE]`` marker."""
    events: list[str] = []
    for block in body.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        data_lines = [line[len("data:") :].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if data_lines:
            events.append("\n".join(data_lines))
    return events


def sse_problems(body: bytes) -> list[str]:
    """Every way the body breaks OpenAI's ``data: <json>`` framing ending in ``[DONE]``."""
    if not body:
        return ["the stream is empty"]
    text = body.decode("utf-8", errors="replace").replace("\r\n", "\n")
    problems: list[str] = []
    if not text.endswith("\n\n"):
        problems.append("the stream does not end with a blank line after the last event")
    blocks = [block for block in text.split("\n\n") if block]
    for number, block in enumerate(blocks, start=1):
        if not any(line.startswith("data:") for line in block.split("\n")):
            problems.append(f"event {number} has no data field: {block[:60]!r}")
    events = sse_events(body)
    if not events or events[-1] != SSE_DONE:
        problems.append("the last event is not data: [DONE]")
    for number, payload in enumerate(events[:-1], start=1):
        try:
            value = json.loads(payload)
        except ValueError:
            problems.append(f"event {number} is not JSON: {payload[:60]!r}")
            continue
        if not isinstance(value, dict):
            problems.append(f"event {number} is JSON but not an object")
    if events.count(SSE_DONE) > 1:
        problems.append("[DONE] is sent more than once")
    return problems


def parse_sse_json(body: bytes) -> list[dict[str, Any]]:
    """The JSON chunks of a well-framed SSE stream, without the ``[DONE]`` marker."""
    problems = sse_problems(body)
    if problems:
        raise ValueError("; ".join(problems))
    return [json.loads(payload) for payload in sse_events(body)[:-1]]
