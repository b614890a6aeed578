"""Clients that misbehave at the socket: bodies too big or malformed, headers sent a byte at a time, silent connections."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

NESTING = 100_000
"""Far past Go's 10,000 levels and Python's recursion limit alike."""


def hostile_body(case: str, model: str) -> tuple[bytes, dict[str, str]]:
    """The bytes and extra headers of a hand-made bad request, by its name in the feature files."""
    if case == "a body declared larger than the limit":
        # Declared, not sent: the gateway must refuse before reading, so the client need not push 100 MB to learn it.
        return b'{"model": "' + model.encode() + b'"}', {"Content-Length": str(10**12)}
    if case == "JSON nested a hundred thousand levels deep":
        return b'{"model": "' + model.encode() + b'", "options": ' + b"[" * NESTING + b"]" * NESTING + b"}", {}
    if case == "a body that is not valid UTF-8":
        return b'{"model": "' + model.encode() + b'", "prompt": "\xff\xfe\xc3\x28"}', {}
    if case == "a model name with a newline and a forged log line":
        return b'{"model": "x\\n2026-01-01 INFO stack.gateway.access {\\"status\\": 200}", "prompt": "hi"}', {}
    raise ValueError(f"no hostile request named {case!r}")


def raw_request(host: str, port: int, method: str, path: str, body: bytes, headers: dict[str, str], timeout_s: float) -> tuple[int, bytes]:
    """One HTTP/1.1 request written by hand, so headers may lie; the status and body that came back."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", "Content-Type: application/json"]
    if "Content-Length" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{key}: {value}" for key, value in headers.items()]
    with socket.create_connection((host, port), timeout=timeout_s) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return _read_response(connection)


def _read_response(connection: socket.socket) -> tuple[int, bytes]:
    received = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunked(body)
    return status, body


def _unchunked(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, body = out + body[:size], body[size + 2 :]
    return out


@dataclass
class Dribble:
    """A client that writes its request one byte at a time, and what it got in the end."""

    status: int = 0
    seconds: float = 0.0
    error: str = ""


def dribble(host: str, port: int, path: str, interval_s: float, result: Dribble) -> threading.Thread:
    """Start writing `GET path` a byte every interval in a thread of its own."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: slow-client\r\nConnection: close\r\n\r\n".encode()

    def run() -> None:
        started = time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=30) as connection:
                for byte in request:
                    connection.sendall(bytes([byte]))
                    time.sleep(interval_s)
                result.status, _ = _read_response(connection)
        except OSError as error:
            result.error = f"{type(error).__name__}: {error}"
        result.seconds = time.monotonic() - started

    thread = threading.Thread(target=run, name="slow-client", daemon=True)
    thread.start()
    return thread


def silent_connections(host: str, port: int, count: int) -> list[socket.socket]:
    """Connections that are opened and then say nothing."""
    opened = []
    for _ in range(count):
        connection = socket.create_connection((host, port), timeout=5)
        opened.append(connection)
    return opened


def close_all(connections: list[socket.socket]) -> None:
    """Hang up every connection."""
    for connection in connections:
        connection.close()


def open_descriptors(pid: int) -> int:
    """How many file descriptors a process holds, from /proc."""
    try:
        return len(list(Path(f"/proc/{pid}/fd").iterdir()))
    except OSError:
        return 0


def resident_bytes(pid: int) -> int:
    """A process's resident memory, from /proc/<pid>/status."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
