"""Service operations on containers through the docker SDK, shared by the stack the suite starts and a compose stack."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from docker.errors import InvalidVersion, NotFound
from docker.models.containers import Container

from support.runners import RunnerProcess, runner_processes
from support.stacks.base import GATEWAY, ServiceUsage, Stack, StackError, is_ready

STOP_GRACE_S = 10
POLL_S = 0.25


def usage_from_stats(stats: dict[str, Any]) -> ServiceUsage:
    """Memory as `docker stats` shows it (usage less the inactive page cache) and the cgroup's CPU time."""
    memory = stats.get("memory_stats") or {}
    counters = memory.get("stats") or {}
    # cgroup v2 names it inactive_file, v1 total_inactive_file; the page cache is not the service's to give back.
    cache = counters.get("inactive_file", counters.get("total_inactive_file", 0))
    cpu_ns = ((stats.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage", 0)
    return ServiceUsage(int(memory.get("usage", 0)) - int(cache), cpu_ns / 1e9)


def container_logs(container: Container, lines: int) -> str:
    """The container's last lines of stdout and stderr, or why they could not be read."""
    try:
        return bytes(container.logs(tail=lines, timestamps=False)).decode(errors="replace")
    except NotFound:
        return "<container is gone>"


def wait_running(container: Container, ready: Callable[[], bool], timeout_s: float) -> str | None:
    """None once ``ready()`` holds; otherwise why not: the container stopped, or the time ran out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        container.reload()
        if container.status not in ("created", "running"):
            return f"is {container.status} (exit code {container.attrs['State'].get('ExitCode')})"
        if ready():
            return None
        time.sleep(POLL_S)
    return f"was not ready within {timeout_s:.0f} s"


class ContainerStack(Stack):
    """What every container driver does to a service: stop, kill, start, pause, measure and read it."""

    def containers(self) -> dict[str, Container]:
        """The managed services' containers, by service name."""
        raise NotImplementedError

    def services(self) -> tuple[str, ...]:
        """Every service whose container the driver holds."""
        return tuple(self.containers())

    def stop_service(self, name: str) -> None:
        """docker stop: SIGTERM, then SIGKILL after the grace."""
        self._container(name, "stop").stop(timeout=STOP_GRACE_S)

    def kill_service(self, name: str) -> None:
        """docker kill: SIGKILL, then wait until the engine reports it exited."""
        container = self._container(name, "kill")
        container.kill()
        container.wait(timeout=STOP_GRACE_S * 3)

    def start_service(self, name: str) -> None:
        """docker start; for the gateway, wait until GET / answers again."""
        container = self._container(name, "start")
        container.start()
        if name == GATEWAY:
            self.wait_gateway(container)

    def pause_service(self, name: str) -> None:
        """docker pause: the cgroup freezer stops every process in the container."""
        self._container(name, "pause").pause()

    def resume_service(self, name: str) -> None:
        """docker unpause."""
        self._container(name, "resume").unpause()

    def service_usage(self, name: str) -> ServiceUsage:
        """One sample of docker stats, read at once where the engine allows (API 1.41) rather than over two cycles."""
        container = self._container(name, "measure")
        try:
            return usage_from_stats(container.stats(stream=False, one_shot=True))
        except InvalidVersion:
            return usage_from_stats(container.stats(stream=False))

    def service_logs(self, name: str, lines: int = 200) -> str:
        """docker logs --tail."""
        return container_logs(self._container(name, "read the logs of"), lines)

    @property
    def gateway_pid(self) -> int | None:
        """The gateway's process as the host sees it (the container's first process), while it runs."""
        container = self.containers().get(GATEWAY)
        if container is None:
            return None
        try:
            container.reload()
        except NotFound:
            return None
        pid = int(container.attrs["State"].get("Pid") or 0)
        return pid if container.status == "running" and pid > 0 else None

    def runners(self) -> list[RunnerProcess]:
        """The runners are the gateway's children in the host's /proc, as for a local process."""
        pid = self.gateway_pid
        return runner_processes(pid) if pid is not None else []

    def wait_gateway(self, container: Container) -> None:
        """Wait until the gateway answers, or raise with the end of its log."""
        failure = wait_running(container, lambda: is_ready(self.ollama_url), self.settings.startup_timeout_s)
        if failure is not None:
            raise StackError(f"the gateway container {container.name} {failure} (GET / must answer 200):\n{container_logs(container, 40)}")

    def _container(self, name: str, operation: str) -> Container:
        container = self.containers().get(name)
        if container is None:
            raise self._unsupported(operation, name)
        return container
