"""Gateways a scenario starts beside the stack under test, each with its own port, log and settings."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from support.settings import Settings
from support.stacks.base import free_port
from support.stacks.local import LocalProcessStack

REPO_ROOT = Path(__file__).resolve().parents[2]


def scratch_dir(prefix: str, add_cleanup: Callable[..., None]) -> Path:
    """A temporary directory, removed by the cleanup it registers (behave's context.add_cleanup)."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    add_cleanup(shutil.rmtree, scratch, True)
    return scratch


def side_gateway(settings: Settings, name: str, engine: str, env: dict[str, str]) -> LocalProcessStack:
    """A gateway like the suite's own on another port, logging to results/<name>/stack.log; not yet started."""
    own = dataclasses.replace(settings, engine=engine, results_dir=settings.results_dir / name)
    gateway = LocalProcessStack(own, REPO_ROOT)
    # Only the model under test: a fresh store would otherwise assemble every bundled model first.
    gateway.extra_env = {"GATEWAY_BUNDLED": settings.model, **env}
    return gateway


@dataclasses.dataclass
class Launch:
    """A gateway started by hand, with the command line the test chose, and its output."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch(log_path: Path, arguments: list[str], env: dict[str, str], models_dir: str) -> Launch:
    """`python -m stack.gateway` with exactly these arguments and OLLAMA_HOST unset, unless env sets it."""
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in ("OLLAMA_HOST", "GATEWAY_API_KEY")}
    environment.update({"GATEWAY_BUNDLED": "none", **env})
    if "OLLAMA_HOST" not in env:
        environment["OLLAMA_HOST"] = f":{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "stack.gateway", *arguments]
    if models_dir:
        command += ["--models-dir", models_dir]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment)
    return Launch(process, port, log_path)


def listening_addresses(port: int, timeout_s: float) -> list[str]:
    """The local addresses with a socket listening on the port, from /proc/net/tcp{,6}, once one appears."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [address for table in ("tcp", "tcp6") for address in _listeners(Path(f"/proc/net/{table}"), port)]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def _listeners(table: Path, port: int) -> list[str]:
    addresses = []
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        address, _, port_hex = local.partition(":")
        if state == "0A" and int(port_hex, 16) == port:
            addresses.append(_address(address))
    return addresses


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc writes each 32-bit word in the host's byte order (little-endian here).
    words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
    joined = b"".join(words)
    if len(joined) == 4:
        return ".".join(str(byte) for byte in joined)
    return str(ipaddress.IPv6Address(joined))
