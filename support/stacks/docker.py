"""The stack as containers the suite starts through the docker SDK: host networking, free loopback ports, removed at the end."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container

from stack.gateway.bundled import BUNDLED
from support.settings import Settings
from support.stacks.base import ALERTMANAGER, GATEWAY, PROMETHEUS, OwnPort, StackError, free_port, is_ready
from support.stacks.containers import STOP_GRACE_S, ContainerStack, container_logs, wait_running
from support.stacks.engine import EngineMissing, connect
from support.stacks.images import ALERTMANAGER_IMAGE, GATEWAY_IMAGE, PROMETHEUS_IMAGE, ensure_images, image_ref

LABEL = "org.mistralrs-suite.run"
"""Every container the suite starts carries its run's id, so a leftover can be told from a user's container."""
OWNER_LABEL = "org.mistralrs-suite.pid"
"""The process that started it: a container whose owner is gone is a leftover of a run killed outright."""
MODELS_VOLUME = "mistralrs-suite-models"
"""The gateway's store, kept between runs like the local store in ~/.cache, so assembled models are not copied again."""
MODEL_PACKAGES = "/opt/model-packages"
MONITORING_IMAGES = {PROMETHEUS: PROMETHEUS_IMAGE, ALERTMANAGER: ALERTMANAGER_IMAGE}


def model_package_mounts() -> dict[str, dict[str, str]]:
    """The installed model packages, mounted read-only where the image's PYTHONPATH finds them."""
    mounts = {}
    for model in BUNDLED:
        for package, _ in model.parts:
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.submodule_search_locations:
                source = Path(next(iter(spec.submodule_search_locations))).resolve()
                mounts[str(source)] = {"bind": f"{MODEL_PACKAGES}/{package}", "mode": "ro"}
    return mounts


@contextmanager
def signals_held() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while containers are removed: an interrupted removal leaves a dead container behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class ServiceContainer:
    """A monitoring service in a container, started and stopped as support.monitoring runs its processes."""

    def __init__(self, stack: DockerStack, name: str, command: list[str], ready_url: str, log_path: Path) -> None:
        self.stack = stack
        self.name = name
        self.command = command
        self.ready_url = ready_url
        self.log_path = log_path
        self._container: Container | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Run the service's image with this command line; the results folder is mounted at its own path for the config."""
        self._container = self.stack.run_service(self.name.lower(), self.command)
        failure = wait_running(self._container, lambda: is_ready(self.ready_url, path=""), timeout_s)
        if failure is not None:
            tail = self.log_tail()
            self.stop()
            raise StackError(f"{self.name} container {failure} ({self.ready_url} must answer 200):\n{tail}")

    def stop(self) -> None:
        """Keep its log, then remove the container. Safe to call twice."""
        container, self._container = self._container, None
        if container is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.log_path.write_text(container_logs(container, 100_000))
            self.stack.remove_service(self.name.lower(), keep_log=False)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the container's log."""
        return container_logs(self._container, lines) if self._container is not None else "<not running>"


class DockerStack(OwnPort, ContainerStack):
    """The gateway (and, per monitoring feature, Prometheus and Alertmanager) as containers of the stack's images."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.port = free_port(self.host)
        self.run_id = uuid.uuid4().hex[:8]
        self._client: docker.DockerClient | None = None
        self._containers: dict[str, Container] = {}
        self._started_env: dict[str, str] = {}

    @property
    def client(self) -> docker.DockerClient:
        """The engine connection, opened by start()."""
        if self._client is None:
            raise StackError("the docker stack is not started")
        return self._client

    def containers(self) -> dict[str, Container]:
        """The containers this run started, by service."""
        return dict(self._containers)

    def control_missing(self) -> str | None:
        """The suite started these containers, so it may do anything to them."""
        return None

    def start(self) -> None:
        """Build the images if this content has none, then run the gateway and wait until it answers."""
        try:
            self._client = connect()
            self._remove_leftovers()
            ensure_images(self.settings.base_image, Path(sys.executable), self.settings.results_dir / "image-build.log")
        except (EngineMissing, DockerException) as error:
            raise StackError(f"the docker stack cannot start: {error}") from error
        self._run_gateway()

    def _remove_leftovers(self) -> None:
        """Containers of runs whose process is gone (killed outright); those of a run still going are left alone."""
        for container in self.client.containers.list(all=True, filters={"label": LABEL}):
            owner = container.labels.get(OWNER_LABEL, "")
            if not (owner.isdigit() and Path(f"/proc/{owner}").exists()):
                container.remove(force=True, v=True)

    def _labels(self) -> dict[str, str]:
        return {LABEL: self.run_id, OWNER_LABEL: str(os.getpid())}

    def _run_gateway(self) -> None:
        volumes = model_package_mounts()
        store = self.settings.models_dir or MODELS_VOLUME
        volumes[store] = {"bind": "/models", "mode": "rw"}
        command = ["--engine", self.settings.engine]
        if self.settings.default_model:
            command += ["--default-model", self.settings.default_model]
        self._started_env = dict(self.extra_env)
        self._containers[GATEWAY] = self.client.containers.run(
            image_ref(GATEWAY_IMAGE, self.settings.base_image), command, name=self._name(GATEWAY), detach=True,
            network_mode="host", environment={"OLLAMA_HOST": f"{self.host}:{self.port}", **self.extra_env},
            volumes=volumes, labels=self._labels(),
        )
        try:
            self.wait_gateway(self._containers[GATEWAY])
        except StackError:
            self.stop()
            raise

    def start_service(self, name: str) -> None:
        """Start a stopped service; a gateway whose extra_env changed is created anew, as compose recreates it."""
        if name == GATEWAY and self.extra_env != self._started_env:
            self.remove_service(GATEWAY)
            self._run_gateway()
            return
        super().start_service(name)

    def run_service(self, name: str, command: list[str]) -> Container:
        """Run a monitoring image with this command line, the results folder mounted at the same path."""
        results = str(self.settings.results_dir.resolve())
        container = self.client.containers.run(
            image_ref(MONITORING_IMAGES[name], self.settings.base_image), command[1:], entrypoint=[command[0]],
            name=self._name(name), detach=True, network_mode="host", labels=self._labels(),
            volumes={results: {"bind": results, "mode": "rw"}},
        )
        self._containers[name] = container
        return container

    def remove_service(self, name: str, keep_log: bool = True) -> None:
        """Remove one service's container, first adding its log to the results (the gateway's to stack.log)."""
        container = self._containers.pop(name, None)
        if container is None:
            return
        try:
            if keep_log:
                self.settings.results_dir.mkdir(parents=True, exist_ok=True)
                with (self.settings.results_dir / ("stack.log" if name == GATEWAY else f"{name}.log")).open("a") as log:
                    log.write(container_logs(container, 1_000_000))
            container.remove(force=True, v=True)
        except NotFound:
            pass

    def stop(self) -> None:
        """Keep every container's log in the results, then remove the containers; the models volume stays."""
        if self._client is None:
            return
        left = []
        with signals_held():
            for name in list(self._containers):
                try:
                    self._containers[name].stop(timeout=STOP_GRACE_S)
                    self.remove_service(name)
                except DockerException as error:
                    # One container the engine will not remove must not keep the others running; it is reported below.
                    left.append(f"{self._containers.pop(name).name}: {error}")
        self._client.close()
        self._client = None
        if left:
            raise StackError(f"containers left behind (label {LABEL}={self.run_id}): " + "; ".join(left))

    def _name(self, service: str) -> str:
        return f"mistralrs-suite-{self.run_id}-{service}"

    def describe(self) -> dict[str, str]:
        """Add the images, the engine and where the logs go."""
        facts = {**super().describe(), "gateway_image": image_ref(GATEWAY_IMAGE, self.settings.base_image),
                 "base_image": self.settings.base_image, "stack_log": str(self.settings.results_dir / "stack.log")}
        if self._client is not None:
            facts["docker_engine"] = str(self._client.version().get("Version"))
            facts["gateway_container"] = self._name(GATEWAY)
        return facts
