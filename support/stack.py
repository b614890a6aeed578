"""Stack drivers: one interface for a gateway the suite starts and a stack it only attaches to."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from abc import ABC, abstractmethod
from importlib import metadata
from pathlib import Path
from typing import IO

import httpx

from support.processes import end_process, log_tail, wait_ready
from support.runners import RunnerProcess, runner_processes
from support.settings import Settings

_POLL_INTERVAL_S = 0.25
_STOP_GRACE_S = 10.0


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


class ExternalStack(Stack):
    """A stack someone else runs: a compose stack, or a real Ollama as the parity reference."""

    @property
    def ollama_url(self) -> str:
        """The URL given in userdata."""
        return self.settings.ollama_url

    @property
    def openai_url(self) -> str:
        """The URL given in userdata, or the native URL plus /v1."""
        return self.settings.openai_url

    def start(self) -> None:
        """Check the stack answers; never starts anything."""
        if not is_ready(self.ollama_url):
            raise StackError(f"no stack answers GET {self.ollama_url}/ with 200")

    def stop(self) -> None:
        """Leave the external stack running."""


class LocalProcessStack(Stack):
    """The embedded gateway from ``stack/``, started on a free loopback port."""

    host = "127.0.0.1"

    def __init__(self, settings: Settings, repo_root: Path) -> None:
        super().__init__(settings)
        self.repo_root = repo_root
        self.port = free_port(self.host)
        self.log_path = settings.results_dir / "stack.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.extra_env: dict[str, str] = {}
        """Environment variables (OLLAMA_MAX_QUEUE, ...) for the next start, on top of the suite's own."""

    @property
    def ollama_url(self) -> str:
        """The gateway's own address."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        """The gateway serves /v1 on the same port, as Ollama does."""
        return f"{self.ollama_url}/v1"

    def command(self) -> list[str]:
        """The gateway's command line, built only from the options that are set."""
        command = [
            str(self.repo_root / ".venv" / "bin" / "python"),
            "-m",
            "stack.gateway",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--engine",
            self.settings.engine,
        ]
        if self.settings.default_model:
            command += ["--default-model", self.settings.default_model]
        if self.settings.models_dir:
            command += ["--models-dir", self.settings.models_dir]
        return command

    def start(self) -> None:
        """Launch the gateway and wait until it answers, failing fast if it exits."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.command(),
            cwd=self.repo_root,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.extra_env},
        )
        failure = wait_ready(self._process, lambda: is_ready(self.ollama_url), self.settings.startup_timeout_s, _POLL_INTERVAL_S)
        if failure is not None:
            self.stop()
            raise StackError(f"the gateway {failure} (GET / must answer 200):\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the gateway, wait, and kill it if it does not go."""
        process, self._process = self._process, None
        end_process(process, _STOP_GRACE_S)
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def gateway_pid(self) -> int | None:
        """The gateway process the suite started, while it runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def runners(self) -> list[RunnerProcess]:
        """The gateway's runner processes, from /proc."""
        pid = self.gateway_pid
        return runner_processes(pid) if pid is not None else []

    def log_tail(self, lines: int = 40) -> str:
        """The end of the gateway's log, for error messages."""
        return log_tail(self.log_path, lines)

    def describe(self) -> dict[str, str]:
        """Add the command line and the log location."""
        # The embedded gateway runs from the same virtualenv, so its engines' versions are these.
        return {
            **super().describe(),
            "mistralrs": package_version("mistralrs"),
            "llama_cpp_python": package_version("llama-cpp-python"),
            "command": " ".join(self.command()),
            "stack_log": str(self.log_path),
        }


def stack_for(settings: Settings, repo_root: Path) -> Stack:
    """The driver the settings ask for."""
    if settings.target == "external":
        return ExternalStack(settings)
    return LocalProcessStack(settings, repo_root)
