"""The embedded gateway from ``stack/`` as a child process of the suite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import IO

from support.processes import end_process, log_tail, wait_ready
from support.runners import RunnerProcess, runner_processes
from support.settings import Settings
from support.stacks.base import Stack, StackError, free_port, is_ready, package_version

_POLL_INTERVAL_S = 0.25
_STOP_GRACE_S = 10.0


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
