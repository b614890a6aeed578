"""Killing a gateway in the middle of a store operation, once the store on disk shows the operation under way.

A SIGKILL sent straight after a request mostly lands before the gateway has read it, and then proves nothing.
Here the request goes out on a thread of its own while the store is watched; at the first file that appears, grows
or goes, the gateway is frozen (SIGSTOP), the store is read as the kill will find it, and then SIGKILL. A new
directory alone is no sign: the gateway makes it before the file it writes there. What the store showed is kept for the report, beside what the gateway had answered by then.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.models.store import Snapshot, changes, snapshot

POLL_S = 0.0005
"""Short, so the freeze lands inside a write that takes a few milliseconds."""


@dataclass(frozen=True)
class Interruption:
    """A store operation cut by SIGKILL: what showed it under way, how the store stood, what had been answered."""

    evidence: list[str]
    at_kill: list[str]
    answered: str
    waited_s: float

    def figures(self) -> dict[str, Any]:
        """The interruption for the reliability page."""
        return {"under way": "; ".join(self.evidence), "store at the kill": "; ".join(self.at_kill),
                "answered before the kill": self.answered or "nothing", "seen after s": round(self.waited_s, 3)}

    def describe(self) -> str:
        """The interruption for a report attachment or a failure message."""
        return "\n".join([f"under way after {self.waited_s:.3f} s:", *(f"  {line}" for line in self.evidence),
                          "the store as the kill found it:", *(f"  {line}" for line in self.at_kill),
                          f"answered before the kill: {self.answered or 'nothing'}"])


def kill_once_under_way(root: Path, request: Callable[[], bytes], freeze: Callable[[], None], kill: Callable[[], None],
                        timeout_s: float = 120.0) -> Interruption:
    """Run `request` on a thread, and freeze and kill the gateway at the first change to the store under `root`.

    `request` returns what the gateway answered before its connection ended. A store that shows no change within
    the timeout fails without a kill: the operation never started, and the gateway keeps serving.
    """
    before = snapshot(root)
    answered: list[bytes] = []
    sender = threading.Thread(target=lambda: answered.append(request()), name="store-operation", daemon=True)
    started = time.monotonic()
    sender.start()
    evidence: list[str] = []
    while not evidence:
        if time.monotonic() - started > timeout_s:
            sender.join(timeout=5.0)
            raise AssertionError(f"the store showed no sign of the operation within {timeout_s:.0f} s; "
                                 f"the gateway answered: {_status_line(answered)}")
        time.sleep(POLL_S)
        evidence = changes(_files(before), _files(snapshot(root)))
    waited = time.monotonic() - started
    freeze()
    at_kill = changes(before, snapshot(root))
    kill()
    sender.join(timeout=30.0)
    return Interruption(evidence, at_kill, _status_line(answered), waited)


def _files(found: Snapshot) -> Snapshot:
    return {path: size for path, size in found.items() if size >= 0}


def _status_line(answered: list[bytes]) -> str:
    """The status line of what came back, if anything did."""
    text = answered[0].decode("latin-1") if answered else ""
    return text.split("\r\n", 1)[0]
