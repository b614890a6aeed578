"""Registries for pull and push: Debian's docker-registry (CNCF distribution 2.8), and a server that answers garbage."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

import httpx

from support.processes import end_process
from support.stacks.base import StackError, free_port

REGISTRY_BINARY = "docker-registry"
CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def registry_missing() -> str | None:
    """None when docker-registry can be started here, otherwise how to get it."""
    if shutil.which(REGISTRY_BINARY) is None:
        return "needs Debian's docker-registry on PATH (apt-get install docker-registry)"
    return None


class LocalRegistry:
    """A real v2 registry on a free loopback port, with its own config and storage, over plain HTTP."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def host(self) -> str:
        """The registry's host:port, as it appears in a model name."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> None:
        """Write the config, start the registry, and wait until /v2/ answers."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "config.yml"
        config.write_text(CONFIG.format(storage=self.work_dir / "storage", port=self.port))
        self._log = (self.work_dir / "registry.log").open("ab")
        self._process = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=self._log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StackError(f"docker-registry exited with {self._process.returncode}; see {self.work_dir / 'registry.log'}")
            try:
                if httpx.get(f"http://{self.host}/v2/", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise StackError(f"docker-registry did not answer on {self.host} within {timeout_s:.0f} s")

    def stop(self) -> None:
        """Stop the registry; its storage goes with the work directory."""
        process, self._process = self._process, None
        end_process(process, grace_s=10)
        if self._log is not None:
            self._log.close()
            self._log = None


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>this is not a registry</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Keep the suite's output clean."""


class GarbageRegistry:
    """An HTTP server that answers every registry request with 200 and a body that is no manifest."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        """host:port for a model name."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
