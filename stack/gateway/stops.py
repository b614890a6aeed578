"""Stop sequences matched on the generated text, whatever the engine's tokens.

Ollama's runner cuts the answer at the first stop string wherever it falls, inside a token or across two. mistral.rs
matches a stop string only when it lines up with whole tokens, so "this" never stopped an answer that wrote " this".
The gateway therefore scans the text itself, for every engine: it holds back a tail that could still become a stop
string, and ends the answer before the first one found.
"""

from __future__ import annotations

from collections.abc import Iterable


class StopScanner:
    """Feed it the generated text piece by piece; it gives back what may be sent and notes when a stop string came."""

    def __init__(self, stops: Iterable[str]) -> None:
        self._stops = tuple(stop for stop in stops if stop)
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """The text that can be sent now: everything before a stop string, less a tail that may begin one."""
        if not self._stops or self.stopped:
            return "" if self.stopped else text
        self._pending += text
        found = [at for stop in self._stops if (at := self._pending.find(stop)) >= 0]
        if found:
            ready, self._pending, self.stopped = self._pending[:min(found)], "", True
            return ready
        hold = max((self._partial(stop) for stop in self._stops), default=0)
        cut = len(self._pending) - hold
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return ready

    def flush(self) -> str:
        """What was held back, once the answer ended without a stop string."""
        rest, self._pending = self._pending, ""
        return rest

    def _partial(self, stop: str) -> int:
        """The length of the longest end of the pending text that is a beginning of `stop`."""
        for length in range(min(len(stop) - 1, len(self._pending)), 0, -1):
            if self._pending.endswith(stop[:length]):
                return length
        return 0
