"""The model runner processes of a gateway the suite started: find them, kill them, and make a model they cannot load."""

from __future__ import annotations

import os
import shutil
import signal
import struct
from dataclasses import dataclass
from pathlib import Path

from stack.gateway.resources import usage

RUNNER_MODULE = "stack.gateway.engines.runner"


@dataclass(frozen=True)
class RunnerProcess:
    """One runner: its process id and the model it serves."""

    pid: int
    model: str


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent`, read from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(entry / "stat").decode(errors="replace")
        # The command name in parentheses may hold spaces; the parent id is the second field after it.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1] == str(parent):
            children.append(int(entry.name))
    return children


def runner_processes(gateway_pid: int) -> list[RunnerProcess]:
    """The gateway's runners, each with the model named on its command line."""
    runners = []
    for pid in child_pids(gateway_pid):
        arguments = _read(Path(f"/proc/{pid}/cmdline")).decode(errors="replace").split("\0")
        if RUNNER_MODULE in arguments and "--name" in arguments:
            runners.append(RunnerProcess(pid, arguments[arguments.index("--name") + 1]))
    return runners


def is_running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    stat = _read(Path(f"/proc/{pid}/stat")).decode(errors="replace")
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] != "Z"


def kill(pid: int) -> None:
    """SIGKILL, as the kernel's out-of-memory killer or a crash would end it."""
    os.kill(pid, signal.SIGKILL)


def freeze(pid: int) -> None:
    """SIGSTOP: the process keeps its sockets and answers nothing, as a deadlocked engine would."""
    os.kill(pid, signal.SIGSTOP)


def kill_if_running(pid: int) -> None:
    """Clean up after a scenario that froze a process the gateway should have replaced."""
    if is_running(pid):
        os.kill(pid, signal.SIGKILL)


def unloadable_copy(source: Path, destination: Path) -> Path:
    """A copy of a GGUF whose architecture no engine knows: its header still reads, but no runner can load it.

    This is the commonest broken model in practice: a file for an architecture the engine does not support.
    """
    return _copy_with_string_blanked(source, destination, b"general.architecture")


def twin_copy(source: Path, destination: Path) -> Path:
    """A copy of a GGUF that loads and answers as the original does but is another file: only its display name differs.

    Runners are per model file (Ollama's are per blob), so a store holding both gives each its own runner.
    """
    return _copy_with_string_blanked(source, destination, b"general.name")


def _copy_with_string_blanked(source: Path, destination: Path, key: bytes) -> Path:
    """Copy the file and overwrite one string value of its metadata with as many x's, keeping every offset."""
    shutil.copyfile(source, destination)
    with destination.open("r+b") as handle:
        head = handle.read(1 << 20)
        at = head.find(key)
        if at < 0:
            raise ValueError(f"{source} has no {key.decode()} in its first MiB")
        # After the key: its value type (uint32, 8 = string), the string's length (uint64) and the string.
        start = at + len(key)
        value_type, length = struct.unpack_from("<IQ", head, start)
        if value_type != 8:
            raise ValueError(f"{source}: {key.decode()} is not a string")
        handle.seek(start + 12)
        handle.write(b"x" * length)
    return destination


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far, read as the gateway reads it for its metrics."""
    measured = usage(pid)
    return measured[1] if measured is not None else 0.0
