"""The embedded gateway from ``stack/`` as a child process of the suite."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import IO

from stack.gateway.resources import usage
from support.processes import end_process, log_tail, wait_ready
from support.runners import RunnerProcess, runner_processes
from support.settings import Settings
from support.stacks.base import GATEWAY, OwnPort, ServiceUsage, Stack, StackError, free_port, is_ready, package_version

_POLL_INTERVAL_S = 0.25
_STOP_GRACE_S = 10.0


class LocalProcessStack(OwnPort, Stack):
    """The embedded gateway from ``stack/``, started on a free loopback port."""

    def __init__(self, settings: Settings, repo_root: Path) -> None:
        super().__init__(settings)
        self.repo_root = repo_root
        self.port = free_port(self.host)
        self.log_path = settings.results_dir / "stack.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

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

    def services(self) -> tuple[str, ...]:
        """Only the gateway: the monitoring fixture runs Prometheus and Alertmanager itself."""
        return (GATEWAY,)

    def control_missing(self) -> str | None:
        """The suite started the gateway, so it may do anything to it."""
        return None

    def stop_service(self, name: str) -> None:
        """Stop the gateway process; its runners follow it."""
        self._gateway(name, "stop")
        self.stop()

    def kill_service(self, name: str) -> None:
        """SIGKILL the gateway and reap it; its runners die with it (they ask the kernel to)."""
        self._gateway(name, "kill")
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self.stop()

    def start_service(self, name: str) -> None:
        """Start the gateway on the same port."""
        self._gateway(name, "start")
        self.start()

    def pause_service(self, name: str) -> None:
        """SIGSTOP the gateway and its runners, as docker pause freezes a whole container."""
        for pid in self._gateway_and_runners(name, "pause"):
            os.kill(pid, signal.SIGSTOP)

    def resume_service(self, name: str) -> None:
        """SIGCONT what pause_service stopped."""
        for pid in self._gateway_and_runners(name, "resume"):
            os.kill(pid, signal.SIGCONT)

    def service_usage(self, name: str) -> ServiceUsage:
        """The gateway's and its runners' resident memory and CPU time, from /proc."""
        measured = [m for m in (usage(pid) for pid in self._gateway_and_runners(name, "measure")) if m is not None]
        return ServiceUsage(sum(m[0] for m in measured), sum(m[1] for m in measured))

    def service_logs(self, name: str, lines: int = 200) -> str:
        """The end of stack.log, where the gateway and its runners log."""
        self._gateway(name, "read the logs of")
        return self.log_tail(lines)

    def _gateway(self, name: str, operation: str) -> None:
        if name != GATEWAY:
            raise self._unsupported(operation, name)

    def _gateway_and_runners(self, name: str, operation: str) -> list[int]:
        self._gateway(name, operation)
        pid = self.gateway_pid
        if pid is None:
            raise StackError(f"cannot {operation} the gateway: it is not running")
        return [pid, *(runner.pid for runner in self.runners())]

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
