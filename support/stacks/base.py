"""The one interface every stack driver implements, and the probes they share."""

from __future__ import annotations

import platform
import socket
from abc import ABC, abstractmethod
from importlib import metadata

import httpx

from support.runners import RunnerProcess
from support.settings import Settings


class StackError(RuntimeError):
    """The stack could not be started or reached."""


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


def is_ready(ollama_url: str) -> bool:
    """Whether ``GET /`` answers 200, as Ollama's own liveness probe expects."""
    try:
        return httpx.get(f"{ollama_url}/", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def reported_version(ollama_url: str) -> str:
    """The version the target reports on /api/version, or why it could not be read."""
    try:
        response = httpx.get(f"{ollama_url}/api/version", timeout=5.0)
        return str(response.json().get("version", "<missing>"))
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        return f"<unreadable: {error}>"


class Stack(ABC):
    """A running Ollama- and OpenAI-compatible stack the scenarios talk to."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    @abstractmethod
    def ollama_url(self) -> str:
        """Base URL of the native API, without a trailing slash."""

    @property
    @abstractmethod
    def openai_url(self) -> str:
        """Base URL of the OpenAI API, ending in /v1."""

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
