"""Tool calls in generated text.

Two forms are recognised: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, as SmolLM2's template asks,
and an answer that is nothing but such a JSON object naming one of the request's tools (what a model gives when
`format` constrains it to a call, or Qwen2.5-Coder inside a ```json fence), which is held back until it is complete, as Ollama's JSON tool parsing did.

A call between the tags that does not parse is dropped, as Ollama's template tool parser drops it (its buffer is never
shown for a tag other than `{` or `[`): the answer goes on without it, never a 500 and never the raw call as content.
Each call gets an id `call_` and eight characters from [a-z0-9], as Ollama's `toolCallId` makes them.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from typing import Any

OPEN, CLOSE = "<tool_call>", "</tool_call>"
FENCE = "```"


@dataclass
class ToolCallParser:
    """Splits a stream of text into plain content and complete tool calls, holding back a partial tag."""

    tool_names: frozenset[str] = frozenset()
    _buffer: str = ""
    _inside: bool = False
    _bare_json: bool | None = None
    """Unknown until the first visible character; True when the answer opens with `{`."""
    calls: list[dict[str, Any]] = field(default_factory=list)

    def feed(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """Content that is safe to show now, and the tool calls completed by this text."""
        if self._bare_json is None:
            opening = (self._buffer + text).lstrip()
            if not opening:
                self._buffer += text
                return "", []
            self._bare_json = opening.startswith(("{", FENCE))
        if self._bare_json:
            self._buffer += text
            return "", []
        return self._feed_tagged(text)

    def _feed_tagged(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        self._buffer += text
        content, completed = "", []
        while True:
            if self._inside:
                end = self._buffer.find(CLOSE)
                if end < 0:
                    break
                call = _parse_call(self._buffer[:end], len(self.calls))
                if call is not None:
                    self.calls.append(call)
                    completed.append(call)
                self._buffer = self._buffer[end + len(CLOSE) :]
                self._inside = False
                continue
            start = self._buffer.find(OPEN)
            if start >= 0:
                content += self._buffer[:start]
                self._buffer = self._buffer[start + len(OPEN) :]
                self._inside = True
                continue
            keep = _partial_tag_length(self._buffer)
            content += self._buffer[: len(self._buffer) - keep]
            self._buffer = self._buffer[len(self._buffer) - keep :]
            break
        return content, completed

    def finish(self) -> str:
        """Whatever is still held back, as content; an unterminated call that does not parse is dropped, as Ollama drops it."""
        if self._bare_json:
            call = _parse_call(_unfenced(self._buffer), len(self.calls))
            if call is not None and call["function"]["name"] in self.tool_names:
                self.calls.append(call)
                self._buffer = ""
                return ""
        rest = self._buffer
        if self._inside:
            call = _parse_call(self._buffer, len(self.calls))
            if call is not None:
                self.calls.append(call)
            rest = ""
        self._buffer, self._inside = "", False
        return rest


def call_id() -> str:
    """A tool call's id as Ollama makes it: `call_` and eight characters from [a-z0-9]."""
    return "call_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))


def _unfenced(text: str) -> str:
    """The JSON inside a Markdown code fence, as Qwen2.5-Coder writes a call: ```json {...} ```."""
    stripped = text.strip()
    if stripped.startswith(FENCE) and stripped.endswith(FENCE) and "\n" in stripped:
        return stripped[stripped.index("\n") + 1 : -len(FENCE)]
    return stripped


def _partial_tag_length(text: str) -> int:
    for size in range(min(len(OPEN) - 1, len(text)), 0, -1):
        if OPEN.startswith(text[-size:]):
            return size
    return 0


def _parse_call(body: str, index: int) -> dict[str, Any] | None:
    try:
        value = json.loads(body.strip())
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return {"id": call_id(), "function": {"index": index, "name": value["name"], "arguments": arguments}}
