"""Fixtures that start the real gateway, with the real model, on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GatewayProcess:
    """`python -m stack.gateway` as a child process; logs go to a file kept for a failing test's report."""

    def __init__(self, models_dir: Path, log_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [sys.executable, "-m", "stack.gateway", "--port", str(self.port), "--models-dir", str(models_dir), *args]
        self._log = log_path.open("wb")
        # Only SmolLM2 and the embedding model: a fresh store would otherwise assemble every installed bundled model
        # (1.3 GB) first; all-MiniLM's conversion takes a second or two.
        environment = {**os.environ, "GATEWAY_BUNDLED": "smollm2:135m,all-minilm:latest", **(env or {})}
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=environment)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gateway did not answer within {timeout}s")

    def metric(self, name: str, client: httpx.Client | None = None) -> float:
        """The sum of a metric's samples as /metrics shows them."""
        total = 0.0
        text = (client.get("/metrics") if client else httpx.get(self.url + "/metrics", timeout=5)).text
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def gateway(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """The default stack: mistral.rs with SmolLM2; a queue of one so a third concurrent request is refused, a 1 MB body limit."""
    env = {"OLLAMA_MAX_QUEUE": "1", "GATEWAY_MAX_BODY_BYTES": "1000000", "OLLAMA_ORIGINS": "http://trusted.example"}
    process = GatewayProcess(models_dir, tmp_path_factory.mktemp("logs") / "gateway.log", env=env)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def client(gateway: GatewayProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=120) as session:
        yield session
