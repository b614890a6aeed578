"""Ollama's model-management routes: blobs, create, copy, delete, pull and push. HTTP shape only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import GatewayError, bad_request
from .framing import dumps, first_and_rest, ndjson_stream
from .manage import ModelManager
from .names import parse_name
from .registry import RegistryClient
from .routes_ollama import read_json
from .validation import typed

log = logging.getLogger("stack.gateway.models")

PLAIN_JSON = "application/json"
"""pull, push and create without streaming answer with no charset, as Ollama's waitForStream sets it."""


def manager_of(request: Request) -> ModelManager:
    manager: ModelManager = request.app.state.models
    return manager


def registry_of(request: Request) -> RegistryClient:
    registry: RegistryClient = request.app.state.registry
    return registry


async def _progress(request: Request, lines: AsyncIterator[dict[str, Any]], stream: bool) -> Response:
    """NDJSON status lines, or with `stream:false` only the last one, a failure then taking its HTTP status."""
    if stream:
        first, rest = await first_and_rest(lines)
        return await ndjson_stream(request, first or {}, rest)
    last: dict[str, Any] = {}
    try:
        async for line in lines:
            last = line
    except GatewayError as error:
        return Response(dumps({"error": error.message}), error.status, media_type=PLAIN_JSON)
    return Response(dumps(last), 200, media_type=PLAIN_JSON)


def _stream_flag(body: dict[str, Any], request_type: str) -> bool:
    return typed(body, request_type, "stream", "bool") is not False


async def head_blob(request: Request) -> Response:
    found = manager_of(request).has_blob(request.path_params["digest"])
    return Response(status_code=200 if found else 404)


async def post_blob(request: Request) -> Response:
    try:
        status = await manager_of(request).receive_blob(request.path_params["digest"], request.stream())
    except ClientDisconnect:
        # Nobody is left to answer; what was received is already gone.
        log.info("upload of %s ended by the client before its last byte", request.path_params["digest"])
        return Response(status_code=400)
    return Response(status_code=status)


async def create(request: Request) -> Response:
    body = await read_json(request)
    manager = manager_of(request)
    plan = await manager.check_create(body)
    return await _progress(request, manager.create(body, plan), _stream_flag(body, "CreateRequest"))


async def copy(request: Request) -> Response:
    await manager_of(request).copy(await read_json(request))
    return Response(status_code=200)


async def delete(request: Request) -> Response:
    await manager_of(request).delete(await read_json(request))
    return Response(status_code=200)


async def pull(request: Request) -> Response:
    body = await read_json(request)
    raw = typed(body, "PullRequest", "model", "string") or typed(body, "PullRequest", "name", "string") or ""
    name = parse_name(raw)
    if name is None:
        raise bad_request("invalid model name")
    insecure = bool(typed(body, "PullRequest", "insecure", "bool"))
    return await _progress(request, registry_of(request).pull(name, insecure), _stream_flag(body, "PullRequest"))


async def push(request: Request) -> Response:
    body = await read_json(request)
    raw = typed(body, "PushRequest", "model", "string") or typed(body, "PushRequest", "name", "string") or ""
    if not raw:
        raise bad_request("model is required")
    name = parse_name(raw)
    if name is None:
        raise bad_request("invalid model name")
    insecure = bool(typed(body, "PushRequest", "insecure", "bool"))
    return await _progress(request, registry_of(request).push(name, insecure), _stream_flag(body, "PushRequest"))


routes = [
    Route("/api/blobs/{digest}", head_blob, methods=["HEAD"]),
    Route("/api/blobs/{digest}", post_blob, methods=["POST"]),
    Route("/api/create", create, methods=["POST"]),
    Route("/api/copy", copy, methods=["POST"]),
    Route("/api/delete", delete, methods=["DELETE"]),
    Route("/api/pull", pull, methods=["POST"]),
    Route("/api/push", push, methods=["POST"]),
]
