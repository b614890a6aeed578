"""Clients that keep a condition going: each sends one kind of request after another until told to stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from support.http import Exchange

NO_ANSWER = 0
"""The status recorded for a request that got no HTTP answer (a timeout, a refused connection)."""


class KeepSending:
    """`clients` threads, each sending `send()` in a loop; the statuses they got, and when the first came back."""

    def __init__(self, send: Callable[[], Exchange], clients: int) -> None:
        self._send = send
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.statuses: list[int] = []
        self.first_answer = threading.Event()
        self._threads = [threading.Thread(target=self._loop, name=f"keep-sending-{n}", daemon=True) for n in range(clients)]

    def start(self) -> KeepSending:
        """Start every client."""
        for thread in self._threads:
            thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                status = self._send().status
            except httpx.HTTPError:
                status = NO_ANSWER
            with self._lock:
                self.statuses.append(status)
            self.first_answer.set()

    def stop(self, timeout_s: float = 120.0) -> float:
        """Send nothing more, and let each client finish its request; when (time.time()) the sending stopped."""
        stopped_at = time.time()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        return stopped_at

    def describe(self) -> str:
        """How many requests were answered, by status."""
        with self._lock:
            counts = {status: self.statuses.count(status) for status in sorted(set(self.statuses))}
        return f"{len(self.statuses)} answers, by status {counts}"
