"""An HTTP client that records each exchange, including when each streamed line arrived."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

# Generation on a CPU with a tiny model takes seconds; a hung server must still end the scenario.
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Request:
    """What the client sent."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The path and query, as a reader of the report wants to see them."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def describe(self, limit: int = 400) -> str:
        """One line for assertion messages: method, path and the start of the body."""
        body = self.body.decode("utf-8", errors="replace")
        if len(body) > limit:
            body = body[:limit] + "..."
        return f"{self.method} {self.path} {body}".rstrip()


@dataclass
class Exchange:
    """One request and its full response, with timing of the streamed body."""

    request: Request
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_s: float
    # Seconds from sending the request to the arrival of each newline in the body.
    newline_times_s: list[float] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        """The Content-Type header exactly as sent, or an empty string."""
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    def arrival_moments(self, resolution_s: float = 0.001) -> int:
        """How many separate moments the body's lines arrived at; a buffered stream has one."""
        moments = 0
        last = -1.0
        for moment in self.newline_times_s:
            if moment - last > resolution_s:
                moments += 1
                last = moment
        return moments

    def json(self) -> Any:
        """The body parsed as one JSON document."""
        return json.loads(self.body)

    def describe(self, limit: int = 600) -> str:
        """The request and the response, short enough for an assertion message."""
        text = self.text
        if len(text) > limit:
            text = text[:limit] + "..."
        return f"request: {self.request.describe()}\nresponse: {self.status} {self.content_type}\n{text}"


ExchangeObserver = Callable[[Exchange], None]


class HttpClient:
    """Sends requests to one base URL and hands every exchange to an observer."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        observer: ExchangeObserver | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._observer = observer
        self._client = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send one request, read the whole body while timing its lines, and record it."""
        request_headers = dict(headers or {})
        body = content
        if json_body is not None:
            body = json.dumps(json_body).encode()
            request_headers.setdefault("Content-Type", "application/json")
        url = f"{self.base_url}{path}"
        request = Request(method, url, request_headers, body or b"")
        started = time.perf_counter()
        newline_times: list[float] = []
        chunks: list[bytes] = []
        with self._client.stream(method, url, content=body, headers=request_headers) as response:
            for chunk in response.iter_bytes():
                now = time.perf_counter() - started
                newline_times.extend(now for _ in range(chunk.count(b"\n")))
                chunks.append(chunk)
            exchange = Exchange(
                request=request,
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=b"".join(chunks),
                elapsed_s=time.perf_counter() - started,
                newline_times_s=newline_times,
            )
        if self._observer is not None:
            self._observer(exchange)
        return exchange

    def get(self, path: str) -> Exchange:
        """GET a path."""
        return self.send("GET", path)

    def post(self, path: str, body: Any) -> Exchange:
        """POST a JSON body."""
        return self.send("POST", path, json_body=body)
