"""A line per finished batch on the terminal, so a long benchmark shows where it is.

run-all-tests.sh keeps behave's output in behave.log and hands the terminal over as a file descriptor named in
BENCH_PROGRESS_FD; without it the lines go to standard error. They are also kept in a log file when one is given.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

PROGRESS_FD = "BENCH_PROGRESS_FD"


class Progress:
    """Counts batches and prints one line for each, with the time since the start."""

    def __init__(self, total: int, title: str, log: Path | None = None) -> None:
        self.total = total
        self.log = log
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("")
        self.done = 0
        self.started = time.monotonic()
        self._fd = int(os.environ[PROGRESS_FD]) if os.environ.get(PROGRESS_FD, "").isdigit() else None
        self.say(f"benchmark: {title}, {total} batches")

    def say(self, text: str) -> None:
        """Print one line, never failing the run for a closed terminal."""
        line = f"[{time.monotonic() - self.started:6.0f} s] {text}\n"
        if self.log is not None:
            with self.log.open("a") as handle:
                handle.write(line)
        try:
            if self._fd is not None:
                os.write(self._fd, line.encode())
            else:
                sys.stderr.write(line)
                sys.stderr.flush()
        except OSError:
            self._fd = None

    def batch(self, text: str) -> None:
        """One batch finished."""
        self.done += 1
        self.say(f"{self.done}/{self.total} {text}")
