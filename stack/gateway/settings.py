"""Gateway settings: Ollama's environment variables where one exists, then command-line flags."""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .durations import parse_keep_alive_env, parse_load_timeout_env

DEFAULT_MODEL = "smollm2:135m"
DEFAULT_PORT = 11434
ENGINES = ("mistralrs", "llamacpp", "openai")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    engine: str = "mistralrs"
    upstream_url: str | None = None
    models_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "mistralrs-gateway" / "models")
    default_model: str = DEFAULT_MODEL
    keep_alive: float = 300.0
    num_parallel: int = 1
    max_queue: int = 512
    context_length: int = 0
    origins: tuple[str, ...] = ()
    max_loaded_models: int = 0
    max_body_bytes: int = 100 * 1024 * 1024
    api_key: str | None = None
    load_timeout: float = 300.0
    """OLLAMA_LOAD_TIMEOUT: how long a loading runner may stay silent; 0 for no limit."""
    ping_timeout: float = 10.0
    """GATEWAY_RUNNER_PING_TIMEOUT: how long an idle runner may take to answer its health check before it is replaced
    (Ollama's 10 s)."""
    bundled: frozenset[str] | None = None
    """The bundled models to register at start-up by tag; None registers every one installed."""

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host_port(value: str) -> tuple[str, int]:
    """OLLAMA_HOST as Ollama reads it: `host`, `host:port`, `:port` or a URL."""
    value = value.strip()
    for scheme in ("http://", "https://"):
        value = value.removeprefix(scheme)
    value = value.rstrip("/")
    host, port = value, DEFAULT_PORT
    if value.startswith("["):
        end = value.find("]")
        host = value[1:end]
        if value[end + 1 : end + 2] == ":":
            port = int(value[end + 2 :])
    elif value.count(":") == 1:
        host, port_text = value.split(":")
        port = int(port_text)
    return host or "127.0.0.1", port


def from_environment(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    host, port = split_host_port(env.get("OLLAMA_HOST", "127.0.0.1:11434"))
    parser = argparse.ArgumentParser(prog="python -m stack.gateway", description=__doc__)
    parser.add_argument("--host", default=host, help="address to bind (default from OLLAMA_HOST)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--engine", choices=ENGINES, default=env.get("GATEWAY_ENGINE", "mistralrs"))
    parser.add_argument("--upstream-url", default=env.get("GATEWAY_UPSTREAM_URL"), help="OpenAI-compatible server for --engine openai")
    parser.add_argument("--models-dir", type=Path, default=Path(env["OLLAMA_MODELS"]) if env.get("OLLAMA_MODELS") else Settings().models_dir)
    parser.add_argument("--default-model", default=env.get("GATEWAY_DEFAULT_MODEL", DEFAULT_MODEL),
                        help='the model that requests naming "default" reach, as in mistral.rs')
    parser.add_argument("--bundled", default=env.get("GATEWAY_BUNDLED", "all"),
                        help="bundled models to register, by tag, comma-separated: all (default), none, or e.g. smollm2:135m")
    args = parser.parse_args(argv)
    origins = tuple(origin.strip() for origin in env.get("OLLAMA_ORIGINS", "").split(",") if origin.strip())
    return Settings(
        host=args.host,
        port=args.port,
        engine=args.engine,
        upstream_url=args.upstream_url,
        models_dir=args.models_dir,
        default_model=args.default_model,
        keep_alive=parse_keep_alive_env(env.get("OLLAMA_KEEP_ALIVE", "5m")),
        num_parallel=max(1, int(env.get("OLLAMA_NUM_PARALLEL", "1") or 1)),
        max_queue=int(env.get("OLLAMA_MAX_QUEUE", "512") or 512),
        context_length=int(env.get("OLLAMA_CONTEXT_LENGTH", "0") or 0),
        origins=origins,
        max_loaded_models=int(env.get("OLLAMA_MAX_LOADED_MODELS", "0") or 0),
        max_body_bytes=int(env.get("GATEWAY_MAX_BODY_BYTES", str(Settings.max_body_bytes))),
        api_key=env.get("GATEWAY_API_KEY") or None,
        load_timeout=parse_load_timeout_env(env.get("OLLAMA_LOAD_TIMEOUT") or "5m"),
        ping_timeout=float(env.get("GATEWAY_RUNNER_PING_TIMEOUT") or Settings.ping_timeout),
        bundled=parse_bundled(args.bundled),
    )


def parse_bundled(value: str) -> frozenset[str] | None:
    """`all` registers every bundled model that is installed; `none` or a list of tags registers only those."""
    if value.strip().lower() == "all":
        return None
    return frozenset(tag.strip() for tag in value.split(",") if tag.strip() and tag.strip().lower() != "none")
