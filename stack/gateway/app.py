"""The ASGI application: routes, error shapes, middleware, and the lifespan that owns the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from . import OLLAMA_VERSION, routes_anthropic, routes_models, routes_ollama, routes_openai, routes_responses, routes_status
from .engines import Engine, create_engine
from .errors import GatewayError
from .framing import error_response, json_response
from .manage import ModelManager
from .metrics import Metrics
from .middleware import ApiKey, BodyLimit, HostCheck, Observe
from .openapi import description
from .registry import RegistryClient
from .scheduler import Scheduler
from .service import Gateway
from .settings import Settings
from .store import ModelStore
from .zstd_bodies import ZstdBodies

log = logging.getLogger("stack.gateway")

BUILT_IN_ORIGINS = ("app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*")
LOCAL_ORIGIN = r"https?://(localhost|127\.0\.0\.1|0\.0\.0\.0)(:\d+)?"
ALLOWED_HEADERS = (
    "Authorization", "Content-Type", "User-Agent", "Accept", "X-Requested-With", "OpenAI-Beta",
    "x-stainless-arch", "x-stainless-async", "x-stainless-custom-poll-interval", "x-stainless-helper-method",
    "x-stainless-lang", "x-stainless-os", "x-stainless-package-version", "x-stainless-poll-helper",
    "x-stainless-retry-count", "x-stainless-runtime", "x-stainless-runtime-version", "x-stainless-timeout",
    # Beyond Ollama's list: what the anthropic SDK sends from a browser, without which its preflight for
    # /v1/messages fails.
    "x-api-key", "anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access",
)
"""The request headers a browser page may send: Ollama's list (OpenAI's SDK headers among them) and Anthropic's."""


def origin_pattern(origins: tuple[str, ...]) -> str:
    """Ollama's allowed origins: OLLAMA_ORIGINS, local hosts on any port, and the app schemes; `*` is a wildcard."""
    wildcards = [re.escape(origin).replace(r"\*", ".*") for origin in (*origins, *BUILT_IN_ORIGINS)]
    return "^(" + "|".join([LOCAL_ORIGIN, *wildcards]) + ")$"


def create_app(settings: Settings, engine: Engine | None = None) -> Starlette:
    if not settings.loopback and not settings.api_key:
        raise SystemExit("refusing to listen beyond loopback without GATEWAY_API_KEY; set it or bind to 127.0.0.1")
    engine = engine or create_engine(settings.engine, settings.upstream_url, settings.load_timeout)
    metrics = Metrics()
    store = ModelStore(settings.models_dir)
    scheduler = Scheduler(
        engine, metrics,
        num_parallel=settings.num_parallel, max_queue=settings.max_queue,
        default_keep_alive=settings.keep_alive, max_loaded=settings.max_loaded_models, ping_timeout=settings.ping_timeout,
    )
    gateway = Gateway(settings, store, scheduler, metrics)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        removed = await asyncio.to_thread(store.recover)
        if removed:
            log.info("store recovery removed %d leftover files: %s", len(removed), ", ".join(path.name for path in removed))
        added = await asyncio.to_thread(store.ensure_bundled, settings.bundled)
        if added:
            log.info("registered bundled models: %s", ", ".join(added))
        if store.find(settings.default_model) is None:
            log.warning("the default model %s is not registered in %s", settings.default_model, settings.models_dir)
        metrics.engine_up.labels(engine.name).set(1)
        metrics.build_info.labels(OLLAMA_VERSION, engine.name, engine.version()).set(1)
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def openapi(request: Request) -> Response:
        return json_response(description())

    routes = [*routes_ollama.routes, *routes_status.routes, *routes_models.routes, *routes_openai.routes, *routes_responses.routes,
              *routes_anthropic.routes, Route("/metrics", prometheus, methods=["GET"]), Route("/api/openapi.json", openapi, methods=["GET"])]
    middleware = [
        Middleware(Observe, metrics=metrics, route_paths=[route.path for route in routes]),
        Middleware(CORSMiddleware, allow_origin_regex=origin_pattern(settings.origins), allow_methods=["*"],
                   allow_headers=list(ALLOWED_HEADERS), allow_credentials=False),
        Middleware(BodyLimit, limit=settings.max_body_bytes),
    ]
    if settings.loopback:
        middleware.insert(1, Middleware(HostCheck))
    if settings.api_key:
        middleware.append(Middleware(ApiKey, key=settings.api_key))
    middleware.append(Middleware(ZstdBodies))

    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={GatewayError: _gateway_error, HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.gateway = gateway
    app.state.models = ModelManager(store, scheduler)
    app.state.registry = RegistryClient(store)
    return app


async def _gateway_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, GatewayError)
    if request.url.path.startswith("/v1/"):
        return routes_openai.openai_error(error)
    return error_response(error)


async def _http_error(request: Request, error: Exception) -> Response:
    """gin's plain-text answers for an unknown path or a wrong method."""
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        return PlainTextResponse("405 method not allowed", 405)
    if error.status_code == 404:
        return PlainTextResponse("404 page not found", 404)
    return PlainTextResponse(str(error.detail), error.status_code)


async def _unexpected(request: Request, error: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path)
    return _gateway_error_response(request, GatewayError(500, str(error) or type(error).__name__))


def _gateway_error_response(request: Request, error: GatewayError) -> Response:
    if request.url.path.startswith("/v1/"):
        return routes_openai.openai_error(error)
    return json_response({"error": error.message}, error.status)
