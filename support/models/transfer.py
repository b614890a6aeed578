"""Blob uploads and progress streams, recorded as exchanges for the report."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from support.http import Exchange, ExchangeObserver, Request

Line = dict[str, Any]


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of a file, read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def bytes_digest(content: bytes) -> str:
    """`sha256:<hex>` of some bytes."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def upload(url: str, digest: str, path: Path, observer: ExchangeObserver | None) -> Exchange:
    """POST /api/blobs/<digest> with the file streamed; the report shows its size, not its bytes."""
    target = f"{url}/api/blobs/{digest}"

    def blocks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            yield from iter(lambda: handle.read(1 << 20), b"")

    started = time.perf_counter()
    response = httpx.post(target, content=blocks(), timeout=300.0)
    size = path.stat().st_size
    exchange = Exchange(
        request=Request("POST", target, {"Content-Length": str(size)}, f"<{size} bytes of {path.name}>".encode()),
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
        elapsed_s=time.perf_counter() - started,
    )
    if observer is not None:
        observer(exchange)
    return exchange


def cut_upload(url: str, digest: str, path: Path, sent_bytes: int, hold_s: float = 0.5) -> bytes:
    """Announce the whole file, send only its start, and hang up, as a client that dies mid-upload does.

    The connection stays open for `hold_s` first, so the server starts writing and the cut falls mid-blob; a
    gateway killed meanwhile ends the wait. Returns whatever the server answered before the end.
    """
    with path.open("rb") as handle:
        start = handle.read(sent_bytes)
    return send_held(url, "POST", f"/api/blobs/{digest}", start, declared_length=path.stat().st_size,
                     content_type="application/octet-stream", hold_s=hold_s)


def send_held(url: str, method: str, path: str, body: bytes, declared_length: int | None = None,
              content_type: str = "application/json", hold_s: float = 60.0) -> bytes:
    """Send one request on a socket of its own and read until the server closes it or `hold_s` passes.

    A `declared_length` beyond the body announces bytes that never come, as a client cut off mid-upload does.
    Returns what came back: a whole answer, the start of one, or nothing when the server died first.
    """
    parts = urlsplit(url)
    length = len(body) if declared_length is None else declared_length
    head = (f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n")
    received = bytearray()
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30) as connection:
        connection.sendall(head.encode() + body)
        deadline = time.monotonic() + hold_s
        while (left := deadline - time.monotonic()) > 0:
            connection.settimeout(left)
            try:
                chunk = connection.recv(1 << 16)
            except (TimeoutError, ConnectionError):
                break
            if not chunk:
                break
            received += chunk
    return bytes(received)


def progress_lines(exchange: Exchange) -> list[Line]:
    """The NDJSON status lines of a pull, push or create."""
    return [json.loads(line) for line in exchange.text.splitlines() if line.strip()]


def interrupt(url: str, method: str, path: str, body: dict[str, Any], kill: Callable[[], None],
              moment: Callable[[Line], bool] | None = None, timeout_s: float = 120.0) -> list[Line]:
    """Send a request and call `kill` while it is under way: once a status line satisfies `moment`, or, with no
    moment, as soon as the request is sent. Returns the status lines read before the kill."""
    if moment is None:
        parts = urlsplit(url)
        payload = json.dumps(body).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n")
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout_s) as connection:
            connection.sendall(head.encode() + payload)
            kill()
        return []
    lines: list[Line] = []
    with httpx.Client(timeout=timeout_s) as client:
        response = client.send(client.build_request(method, url + path, json=body), stream=True)
        try:
            for text in response.iter_lines():
                if text.strip():
                    lines.append(json.loads(text))
                    if moment(lines[-1]):
                        break
            kill()
        finally:
            response.close()
    return lines


def progress_problems(lines: list[Line], first: str, verb: str, last: list[str]) -> list[str]:
    """How a pull's or push's status lines differ from Ollama's: `first`, then `<verb> <12 hex>` lines carrying
    digest, total and completed (each layer ending complete), then the `last` statuses; empty when they match."""
    problems: list[str] = []
    if not lines or lines[0] != {"status": first}:
        problems.append(f"the first line is {lines[0] if lines else None!r}, not {{'status': {first!r}}}")
    named = {first, *last}
    layers = [line for line in lines if str(line.get("status", "")).startswith(f"{verb} ") and line.get("status") not in named]
    if not layers:
        problems.append(f"no '{verb} <digest>' line")
    final: dict[str, Line] = {}
    for line in layers:
        digest = str(line.get("digest", ""))
        if line["status"] != f"{verb} {digest[7:19]}":
            problems.append(f"{line!r} does not name the first 12 hex digits of its digest")
        if not isinstance(line.get("total"), int) or not 0 <= int(line.get("completed", 0)) <= line["total"]:
            problems.append(f"{line!r} lacks a total, or completed is outside 0..total")
        final[digest] = line
    problems.extend(f"{digest} ends at {line.get('completed')} of {line.get('total')}" for digest, line in final.items()
                    if line.get("completed") != line.get("total"))
    statuses = [line.get("status") for line in lines[-len(last):]]
    if statuses != last:
        problems.append(f"the last lines are {statuses}, not {last}")
    return problems
