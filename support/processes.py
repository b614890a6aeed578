"""Child processes the suite starts: ending them politely, and reading the end of their logs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def end_process(process: subprocess.Popen[bytes] | None, grace_s: float) -> None:
    """Terminate a process that still runs, wait, and kill it if it does not go within the grace."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace_s)


def log_tail(path: Path, lines: int) -> str:
    """The last lines of a log, for error messages."""
    if not path.exists():
        return "<no log>"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_ready(process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout_s: float, poll_s: float) -> str | None:
    """None once ``ready()`` holds; otherwise why not: the process exited, or the time ran out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with {process.returncode} while starting"
        if ready():
            return None
        time.sleep(poll_s)
    return f"was not ready within {timeout_s:.0f} s"
