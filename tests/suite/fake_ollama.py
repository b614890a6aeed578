"""A tiny Ollama look-alike for negative controls: correct by default, wrong on request.

It is not a stand-in for the stack. It exists to show that the suite's checks notice known
parity mistakes: each name in ``DEFECTS`` makes it get one detail wrong.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "fake:latest"
DIGEST = "a" * 64
DEFECTS = frozenset({"missing_model_status", "blank_lines", "empty_thinking", "old_version", "buffered"})
WORDS = ["The", " sky", " is", " blue", "."]


LISTED = ("smollm2:135m", "qwen2.5-coder:1.5b")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _final_metrics() -> dict[str, int]:
    return {
        "total_duration": 2_000_000,
        "load_duration": 100_000,
        "prompt_eval_count": 5,
        "prompt_eval_duration": 500_000,
        "eval_count": len(WORDS),
        "eval_duration": 1_000_000,
    }


class FakeOllama(ThreadingHTTPServer):
    """An HTTP server on a free loopback port with a set of defects."""

    daemon_threads = True

    def __init__(self, defects: frozenset[str]) -> None:
        unknown = defects - DEFECTS
        if unknown:
            raise ValueError(f"unknown defects: {sorted(unknown)}")
        self.defects = defects
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        """Base URL of the fake."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOllama

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output quiet."""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def do_GET(self) -> None:
        """Liveness and version."""
        if self.path == "/":
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif self.path == "/api/tags":
            self._json(200, {"models": [{"name": name, "model": name} for name in LISTED]})
        elif self.path == "/api/version":
            old = "old_version" in self.server.defects
            self._json(200, {"version": "0.5.0" if old else "0.33.0"})
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_POST(self) -> None:
        """Generate, chat, embed, embeddings and show, as far as the controls need them."""
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        model = body.get("model", "")
        endpoint = self.path
        if not model:
            self._missing_model(endpoint)
        elif endpoint in ("/api/generate", "/api/chat"):
            self._answer(endpoint, model, body.get("stream", True) is not False)
        else:
            self._error(404, f"model '{model}' not found")

    def _missing_model(self, endpoint: str) -> None:
        if endpoint == "/api/chat" and "missing_model_status" not in self.server.defects:
            self._error(400, "model is required")
        elif endpoint in ("/api/generate", "/api/chat", "/api/embed"):
            self._error(404, "model '' not found")
        else:
            self._error(400, "model is required")

    def _chunk(self, endpoint: str, model: str, text: str, done: bool) -> dict[str, Any]:
        chunk: dict[str, Any] = {"model": model, "created_at": _now()}
        if endpoint == "/api/chat":
            chunk["message"] = {"role": "assistant", "content": text}
            if "empty_thinking" in self.server.defects:
                chunk["message"]["thinking"] = ""
        else:
            chunk["response"] = text
        chunk["done"] = done
        if done:
            chunk.update(done_reason="stop", **_final_metrics())
        return chunk

    def _answer(self, endpoint: str, model: str, stream: bool) -> None:
        if not stream:
            self._json(200, self._chunk(endpoint, model, "".join(WORDS), done=True))
            return
        chunks = [self._chunk(endpoint, model, word, done=False) for word in WORDS]
        chunks.append(self._chunk(endpoint, model, "", done=True))
        separator = b"\n\n" if "blank_lines" in self.server.defects else b"\n"
        lines = [json.dumps(chunk).encode() + separator for chunk in chunks]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        if "buffered" in self.server.defects:
            self.wfile.write(b"".join(lines))
            return
        for line in lines:
            self.wfile.write(line)
            self.wfile.flush()
            time.sleep(0.01)


@contextmanager
def running(defects: frozenset[str] = frozenset()) -> Iterator[FakeOllama]:
    """Serve a fake with the given defects in a background thread for the block's duration."""
    server = FakeOllama(defects)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
