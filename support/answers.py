"""The text of an answer, however it travelled: native or OpenAI, streamed or not."""

from __future__ import annotations

from typing import Any

from support.framing import NDJSON_CONTENT_TYPE, SSE_CONTENT_TYPE, parse_ndjson, parse_sse_json
from support.http import Exchange


def _piece(chunk: dict[str, Any]) -> str:
    if "response" in chunk:
        return str(chunk["response"])
    if isinstance(chunk.get("message"), dict):
        return str(chunk["message"].get("content", ""))
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    choice = choices[0]
    if "text" in choice:
        return str(choice["text"])
    part = choice.get("delta") or choice.get("message") or {}
    return str(part.get("content") or "")


def chunks_of(exchange: Exchange) -> list[dict[str, Any]]:
    """The JSON objects of a response: stream chunks, or the one non-streamed object."""
    if exchange.content_type.startswith(SSE_CONTENT_TYPE):
        return parse_sse_json(exchange.body)
    if exchange.content_type.startswith(NDJSON_CONTENT_TYPE):
        return parse_ndjson(exchange.body)
    return [exchange.json()]


def answer_text(exchange: Exchange) -> str:
    """The answer's text, joined across chunks when it was streamed."""
    return "".join(_piece(chunk) for chunk in chunks_of(exchange))
