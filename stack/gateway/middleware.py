"""ASGI middleware: Ollama's Host check, the API key, the body limit, request metrics and the access log."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import Metrics

access_log = logging.getLogger("stack.gateway.access")
HOUSEKEEPING = {"/", "/metrics", "/api/openapi.json"}
"""Paths left out of the request metrics, as mistral.rs leaves out its health and metrics routes."""


def is_local_host(host_header: str) -> bool:
    """Ollama's rule: localhost, this machine's name, *.localhost/*.local/*.internal, or a non-public IP."""
    host = host_header.strip()
    if host.startswith("["):
        host = host[1 : host.find("]")]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    host = host.lower()
    if not host or host == "localhost" or host == socket.gethostname().lower():
        return True
    if host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_unspecified


class HostCheck:
    """While bound to loopback, a request naming a foreign Host gets 403, as Ollama answers DNS rebinding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host and not is_local_host(host):
                await send({"type": "http.response.start", "status": 403, "headers": [(b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


class ApiKey:
    """A bearer key required on every route but the liveness probe."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.expected = f"Bearer {key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/" and scope["method"] != "OPTIONS":
            if dict(scope["headers"]).get(b"authorization") != self.expected:
                await _error(scope, send, 401, "unauthorized")
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse bodies over the limit with 413 before they are read whole.

    Blob uploads are exempt: they stream to disk as they arrive and a model file is gigabytes.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/blobs/"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _error(scope, send, 413, f"request body too large: limit is {self.limit} bytes")
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await _error(scope, send, 413, f"request body too large: limit is {self.limit} bytes")


class BodyTooLarge(Exception):
    pass


class Observe:
    """Count every request by endpoint, method, model and status, time it, and write one access-log line."""

    def __init__(self, app: ASGIApp, metrics: Metrics, route_paths: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.patterns = [(path, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")) for path in route_paths]

    def endpoint(self, path: str) -> str:
        return next((name for name, pattern in self.patterns if pattern.match(path)), "<unmatched>")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        state = scope.get("state", {})
        # Never an empty label value: Prometheus stores one as no label at all, and the series would differ from /metrics.
        model = str(state.get("model") or "none")
        endpoint = self.endpoint(scope["path"])
        if endpoint not in HOUSEKEEPING:
            self.metrics.requests.labels(endpoint, scope["method"], model, str(status)).inc()
            self.metrics.request_duration.labels(endpoint, model).observe(seconds)
        entry = {
            "method": scope["method"], "path": scope["path"], "model": model, "status": status,
            "prompt_tokens": state.get("prompt_eval_count"), "eval_tokens": state.get("eval_count"),
            "done_reason": state.get("done_reason"), "duration_ms": round(seconds * 1000, 1),
        }
        access_log.info(json.dumps({key: value for key, value in entry.items() if value is not None}))


async def _error(scope: Scope, send: Send, status: int, message: str) -> None:
    """Ollama's error object, or OpenAI's envelope under /v1 (`api_error` for any status but 400 and 404)."""
    if scope["path"].startswith("/v1/"):
        await _json(send, status, {"error": {"message": message, "type": "api_error", "param": None, "code": None}})
    else:
        await _json(send, status, {"error": message})


async def _json(send: Send, status: int, body: object) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
