"""The one interface every stack driver implements, and the probes they share."""

from __future__ import annotations

import platform
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import metadata

import httpx

from support.runners import RunnerProcess
from support.settings import Settings

GATEWAY = "gateway"
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
"""Service names as the compose file names them; a driver manages the ones it lists in services()."""


class StackError(RuntimeError):
    """The stack could not be started or reached."""


class ServiceUnsupported(StackError):
    """The driver cannot do that to that service: it does not manage it, or the target is only reached by URL."""


@dataclass(frozen=True)
class ServiceUsage:
    """What the operating system charges a service: resident memory now and CPU time so far."""

    memory_bytes: int
    cpu_seconds: float


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def package_version(name: str) -> str:
    """The installed version of a Python package, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def is_ready(ollama_url: str, path: str = "/") -> bool:
    """Whether ``GET /`` (or another path) answers 200, as Ollama's own liveness probe expects."""
    try:
        return httpx.get(f"{ollama_url}{path}", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def reported_version(ollama_url: str) -> str:
    """The version the target reports on /api/version, or why it could not be read."""
    try:
        response = httpx.get(f"{ollama_url}/api/version", timeout=5.0)
        return str(response.json().get("version", "<missing>"))
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        return f"<unreadable: {error}>"


class OwnPort:
    """For a driver whose gateway listens on a free loopback port it chose; /v1 on the same port, as Ollama serves it."""

    host = "127.0.0.1"
    port: int

    @property
    def ollama_url(self) -> str:
        """The gateway's own address."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        """The same port, /v1."""
        return f"{self.ollama_url}/v1"


class Stack(ABC):
    """A running Ollama- and OpenAI-compatible stack the scenarios talk to."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.extra_env: dict[str, str] = {}
        """Environment variables (OLLAMA_MAX_QUEUE, ...) for the gateway's next start, on top of the suite's own."""

    @property
    def ollama_url(self) -> str:
        """Base URL of the native API, without a trailing slash: the settings' one for a stack reached by URL."""
        return self.settings.ollama_url

    @property
    def openai_url(self) -> str:
        """Base URL of the OpenAI API, ending in /v1: the settings' one for a stack reached by URL."""
        return self.settings.openai_url

    @abstractmethod
    def start(self) -> None:
        """Make the stack ready, or raise StackError saying why it is not."""

    @abstractmethod
    def stop(self) -> None:
        """Release what start() acquired; safe to call more than once."""

    @property
    def gateway_pid(self) -> int | None:
        """The serving process's id where the suite can see it (a stack it started), else None."""
        return None

    def runners(self) -> list[RunnerProcess]:
        """The model runner processes behind the gateway; empty where the suite cannot see them."""
        return []

    def services(self) -> tuple[str, ...]:
        """The services this driver can stop, kill, start, pause and measure; none for a stack reached by URL."""
        return ()

    def control_missing(self) -> str | None:
        """Why the suite may not stop, restart or reconfigure this stack's services, or None when it may."""
        return (
            f"needs a stack the suite started itself, as processes or containers, to stop, restart and reconfigure its services "
            f"and follow alerts through its own receiver; target={self.settings.target} is not one"
        )

    def stop_service(self, name: str) -> None:
        """Stop a service politely (SIGTERM, then SIGKILL after a grace)."""
        raise self._unsupported("stop", name)

    def kill_service(self, name: str) -> None:
        """End a service at once with SIGKILL, as a crash or the out-of-memory killer would."""
        raise self._unsupported("kill", name)

    def start_service(self, name: str) -> None:
        """Start a stopped service with the current settings and wait until it answers."""
        raise self._unsupported("start", name)

    def restart_service(self, name: str) -> None:
        """Stop and start a service, taking up extra_env for the gateway."""
        self.stop_service(name)
        self.start_service(name)

    def pause_service(self, name: str) -> None:
        """Freeze a service: it holds its connections and answers nothing until resumed."""
        raise self._unsupported("pause", name)

    def resume_service(self, name: str) -> None:
        """Let a paused service run again."""
        raise self._unsupported("resume", name)

    def service_usage(self, name: str) -> ServiceUsage:
        """Resident memory and CPU time of a service, its children included (the gateway's runners)."""
        raise self._unsupported("measure", name)

    def service_logs(self, name: str, lines: int = 200) -> str:
        """The last lines a service logged."""
        raise self._unsupported("read the logs of", name)

    def recent_logs(self, lines: int = 200) -> dict[str, str]:
        """The last lines of every managed service's log, by service; a log that cannot be read says why."""
        logs = {}
        for name in self.services():
            try:
                logs[name] = self.service_logs(name, lines)
            except Exception as error:  # noqa: BLE001 - a failed scenario's report must not fail on a log it cannot read
                logs[name] = f"<unreadable: {error}>"
        return logs

    def _unsupported(self, operation: str, name: str) -> ServiceUnsupported:
        managed = ", ".join(self.services()) or "none"
        return ServiceUnsupported(f"target={self.settings.target} cannot {operation} {name!r} (services it manages: {managed})")

    def describe(self) -> dict[str, str]:
        """Facts for the report's environment section."""
        return {
            "target": self.settings.target,
            "engine": self.settings.engine,
            "model": self.settings.model,
            "ollama_url": self.ollama_url,
            "openai_url": self.openai_url,
            "reported_version": reported_version(self.ollama_url),
            "python": platform.python_version(),
            "behave": package_version("behave"),
        }
