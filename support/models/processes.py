"""Child processes the suite starts: stopped politely, then firmly."""

from __future__ import annotations

import subprocess


def terminate(process: subprocess.Popen[bytes] | None, grace_s: float) -> None:
    """SIGTERM, then SIGKILL if the process has not gone within the grace period; nothing if it is already gone."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace_s)
