"""A recording forwarder between Aider and the gateway: the gateway answers, the tap keeps a copy of both directions.

The gateway's access log says what it answered; only the wire says what litellm sent (``options.num_ctx``) and how
the answer came back (NDJSON lines as they streamed). Bytes pass through unchanged, chunk by chunk.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Tapped:
    """One request and its response as they crossed the tap."""

    method: str
    path: str
    request_body: bytes
    status: int = 0
    content_type: str = ""
    chunks: list[bytes] = field(default_factory=list)

    def request_json(self) -> dict[str, Any]:
        """The request body as JSON, or {} when it is not."""
        try:
            parsed = json.loads(self.request_body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def response_body(self) -> bytes:
        """Every byte of the response."""
        return b"".join(self.chunks)

    def response_lines(self) -> list[dict[str, Any]]:
        """The response's NDJSON lines, parsed; a line that is not JSON becomes {"<unparsed>": text}."""
        lines: list[dict[str, Any]] = []
        for line in self.response_body.decode("utf-8", errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"<unparsed>": line})
        return lines


class WireTap:
    """A loopback HTTP server that forwards every request to ``upstream`` and records the exchange."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        self.upstream_host, self.upstream_port = target.hostname or "127.0.0.1", target.port or 80
        self.records: list[Tapped] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where clients should send their requests instead of the upstream."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> WireTap:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, tapped: Tapped) -> None:
        with self._lock:
            self.records.append(tapped)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tap = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                tapped = Tapped(self.command, self.path, body)
                tap._record(tapped)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(tap.upstream_host, tap.upstream_port, timeout=900)
                try:
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    response = upstream.getresponse()
                    tapped.status, tapped.content_type = response.status, response.getheader("Content-Type", "")
                    self.send_response(response.status)
                    for key, value in response.getheaders():
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, value)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    while chunk := response.read1(65536):
                        tapped.chunks.append(chunk)
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (OSError, http.client.HTTPException) as error:
                    tapped.status = 502
                    tapped.chunks.append(str(error).encode())
                    self.close_connection = True
                finally:
                    upstream.close()

            do_GET = do_POST = do_DELETE = _forward

        return Forward
