"""A gateway of Aider's own that the suite kills in the middle of a request, runner processes included."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from support.models.gateway import StoreGateway

_POLL_S = 0.2


def _children(pid: int) -> list[int]:
    """Direct children of a process, from /proc (its runner processes, once the gateway has them)."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class DisposableGateway(StoreGateway):
    """A StoreGateway that can be killed outright while it serves, as a crash or an operator's kill -9 would."""

    def kill_when_busy(self, model: str, bound_s: float) -> bool:
        """Wait until /api/ps lists `model` (a request has loaded it), then SIGKILL the gateway and its children.

        Returns whether the model was seen loaded before the bound, i.e. whether the kill met a request in flight.
        """
        deadline = time.monotonic() + bound_s
        busy = False
        while time.monotonic() < deadline and not busy:
            try:
                listed = httpx.get(f"{self.url}/api/ps", timeout=2.0).json().get("models", [])
                busy = any(str(entry.get("name", "")).startswith(model) for entry in listed)
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(_POLL_S)
        process = self._process
        children = _children(process.pid) if process is not None else []
        self.kill()
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return busy
