"""Reaching a Docker engine: the user's (DOCKER_HOST or the default socket), else the suite's private one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker
from docker.errors import DockerException

REPO_ROOT = Path(__file__).resolve().parents[2]
PRIVATE_ENGINE = REPO_ROOT / "stack" / "docker" / "engine.sh"
"""Starts a dockerd with its own data root and socket; run-all-tests.sh --target docker calls it when no engine answers."""


class EngineMissing(RuntimeError):
    """No Docker engine answers, and why."""


def _private_host() -> str | None:
    """The private engine's DOCKER_HOST when it answers."""
    try:
        found = subprocess.run([str(PRIVATE_ENGINE), "host"], capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    host = found.stdout.strip()
    return host if found.returncode == 0 and host else None


def connect() -> docker.DockerClient:
    """A client of the first engine that answers a ping, or EngineMissing saying what was tried."""
    tried = []
    try:
        client = docker.from_env(timeout=120)
        client.ping()
        return client
    except DockerException as error:
        tried.append(f"DOCKER_HOST or the default socket: {error}")
    private = _private_host()
    if private is not None:
        client = docker.DockerClient(base_url=private, timeout=120)
        client.ping()
        return client
    tried.append(f"the suite's private engine: not running ({PRIVATE_ENGINE.relative_to(REPO_ROOT)} start starts it, as root)")
    raise EngineMissing("no Docker engine answers; tried " + "; ".join(tried))


def engine_missing() -> str | None:
    """Why no docker scenario can run here, or None when an engine answers."""
    try:
        connect().close()
    except EngineMissing as missing:
        return f"needs a Docker engine: {missing}"
    return None
