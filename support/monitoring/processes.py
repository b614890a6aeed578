"""Prometheus and Alertmanager as child processes on free loopback ports, each with its own data directory."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import httpx

from support.processes import end_process, log_tail, wait_ready

_POLL_S = 0.1
_STOP_GRACE_S = 10.0

PROMETHEUS = "prometheus"
# Debian names the Alertmanager binary prometheus-alertmanager; upstream tarballs name it alertmanager.
ALERTMANAGER = ("prometheus-alertmanager", "alertmanager")


class MonitoringProcessError(RuntimeError):
    """A monitoring process could not be found, started or made ready."""


def find_binary(*names: str) -> str | None:
    """The path of the first of these programs on PATH, or None."""
    return next((path for path in (shutil.which(name) for name in names) if path), None)


class Service(Protocol):
    """A monitoring server the suite starts and stops: a child process here, a container on the docker target."""

    name: str
    """"Prometheus" or "Alertmanager", as scenarios name it."""

    def start(self, timeout_s: float = 30.0) -> None:
        """Launch it and wait until it is ready."""

    def stop(self) -> None:
        """Stop it; safe to call twice."""

    def log_tail(self, lines: int = 30) -> str:
        """The end of its log."""


Launch = Callable[[str, list[str], str, Path], Service]
"""Makes a service from its name, command line, readiness URL and log path."""


class ServiceProcess:
    """One long-running server started from a command line, ready when a URL answers 200."""

    def __init__(self, name: str, command: list[str], ready_url: str, log_path: Path) -> None:
        self.name = name
        self.command = command
        self.ready_url = ready_url
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Launch it and wait until it is ready, failing with its log if it exits or never answers."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        failure = wait_ready(self._process, self._ready, timeout_s, _POLL_S)
        if failure is not None:
            self.stop()
            raise MonitoringProcessError(f"{self.name} {failure} ({self.ready_url} must answer 200):\n{self.log_tail()}")

    def _ready(self) -> bool:
        try:
            return httpx.get(self.ready_url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Terminate it and wait; kill it if it will not go. Safe to call twice."""
        process, self._process = self._process, None
        end_process(process, _STOP_GRACE_S)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        """The end of its log, for error messages."""
        return log_tail(self.log_path, lines)


@dataclass(frozen=True)
class Runtime:
    """Where Prometheus and Alertmanager run: the binaries' paths there, and how a service is started."""

    prometheus: str
    alertmanager: str
    launch: Launch = ServiceProcess


def host_runtime() -> Runtime | None:
    """Debian's binaries on this machine's PATH, run as child processes; None when either is missing."""
    prometheus, alertmanager = find_binary(PROMETHEUS), find_binary(*ALERTMANAGER)
    if prometheus is None or alertmanager is None:
        return None
    return Runtime(prometheus, alertmanager)


def prometheus_process(binary: str, config: Path, port: int, workdir: Path, launch: Launch = ServiceProcess) -> Service:
    """Prometheus serving on 127.0.0.1:port with its data under workdir."""
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1h",
        # POST /-/reload: a scenario that renders a rule with its own threshold has Prometheus read it again.
        "--web.enable-lifecycle",
        "--log.level=warn",
    ]
    return launch("Prometheus", command, f"http://127.0.0.1:{port}/-/ready", workdir / "prometheus.log")


def alertmanager_process(binary: str, config: Path, port: int, workdir: Path, launch: Launch = ServiceProcess) -> Service:
    """Alertmanager serving on 127.0.0.1:port, without clustering, with its data under workdir."""
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.path={workdir / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        # An empty cluster address turns gossip off, which would otherwise claim port 9094.
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    return launch("Alertmanager", command, f"http://127.0.0.1:{port}/-/ready", workdir / "alertmanager.log")
