"""What the gateway and a runner process say to each other: one JSON object per line over a Unix socket.

A call opens its own connection and sends one request line. The runner answers with one line, or, for `generate`,
with a `piece` line per fragment and a closing `finish` line. A failure is an `error` line with an HTTP status; a
runner that dies mid-answer shows only as the end of the stream.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .base import Finish, Piece, Sampling, TokenLogprob


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {line[:80]!r}")
    return value


def sampling_to_wire(sampling: Sampling) -> dict[str, Any]:
    return dataclasses.asdict(sampling)


def sampling_from_wire(value: dict[str, Any]) -> Sampling:
    return Sampling(**{**value, "stop": tuple(value.get("stop") or ())})


def event_to_wire(event: Piece | Finish) -> dict[str, Any]:
    if isinstance(event, Piece):
        if event.logprobs:
            return {"piece": event.text, "logprobs": [entry.to_json() for entry in event.logprobs]}
        return {"piece": event.text}
    return {"finish": dataclasses.asdict(event)}


def event_from_wire(message: dict[str, Any]) -> Piece | Finish | None:
    """The event a line carries, or None for a line that is not an event (an error)."""
    if "piece" in message:
        return Piece(str(message["piece"]), tuple(TokenLogprob.from_json(entry) for entry in message.get("logprobs") or ()))
    if "finish" in message:
        return Finish(**message["finish"])
    return None
