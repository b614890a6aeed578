"""The gateway's access log: one JSON object per request, after the logger name, in the stack's log file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = " stack.gateway.access "


@dataclass(frozen=True)
class AccessEntry:
    """One request as the gateway recorded it when it finished."""

    method: str
    path: str
    model: str
    status: int
    prompt_tokens: int | None
    eval_tokens: int | None
    done_reason: str | None
    raw: dict[str, Any]


def parse_access_lines(text: str) -> list[AccessEntry]:
    """Every access-log entry in a stretch of the log; other lines (engine messages, warnings) are skipped."""
    entries: list[AccessEntry] = []
    for line in text.splitlines():
        _, marker, payload = line.partition(MARKER)
        if not marker:
            continue
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        entries.append(AccessEntry(
            method=str(data.get("method", "")), path=str(data.get("path", "")), model=str(data.get("model", "")),
            status=int(data.get("status", 0)), prompt_tokens=data.get("prompt_tokens"), eval_tokens=data.get("eval_tokens"),
            done_reason=data.get("done_reason"), raw=data,
        ))
    return entries


class LogWindow:
    """What a log file gained between open and close: the lines one Aider run caused, the suite being sequential."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size if path.exists() else 0

    def read(self) -> str:
        """The text appended since the window opened."""
        if not self.path.exists():
            return ""
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read().decode("utf-8", errors="replace")
