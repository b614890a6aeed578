"""A request left running in a thread, so that a scenario can do harm while it is under way and then read its end."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Outcome:
    """What came back: the status and the body's lines, or the transport error that ended it."""

    status: int = 0
    lines: list[str] = field(default_factory=list)
    error: str = ""

    def describe(self, limit: int = 6) -> str:
        shown = self.lines if len(self.lines) <= limit else [*self.lines[:2], "...", *self.lines[-(limit - 3):]]
        return f"status {self.status}, {len(self.lines)} line(s){', ' + self.error if self.error else ''}:\n" + "\n".join(shown)


class BackgroundRequest:
    """POST a JSON body in a thread of its own, reading the response line by line as it streams."""

    def __init__(self, url: str, body: dict[str, Any], timeout_s: float = 300.0) -> None:
        self.outcome = Outcome()
        self._first_line = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, body, timeout_s), name="background-request", daemon=True)
        self._thread.start()

    def _run(self, url: str, body: dict[str, Any], timeout_s: float) -> None:
        try:
            with httpx.stream("POST", url, json=body, timeout=timeout_s) as response:
                self.outcome.status = response.status_code
                for line in response.iter_lines():
                    if line:
                        self.outcome.lines.append(line)
                        self._first_line.set()
        except httpx.HTTPError as error:
            self.outcome.error = f"{type(error).__name__}: {error}"
        finally:
            self._first_line.set()

    def wait_for_first_line(self, timeout_s: float) -> bool:
        """Whether a first line (or the end) arrived in time."""
        return self._first_line.wait(timeout_s) and bool(self.outcome.lines)

    def result(self, timeout_s: float) -> Outcome:
        """The outcome once the request ended; a request still running after the timeout is reported as such."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            self.outcome.error = self.outcome.error or f"still running after {timeout_s:.0f} s"
        return self.outcome

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
