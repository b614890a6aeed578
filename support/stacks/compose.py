"""A compose stack the user runs, attached by its compose labels: the suite starts nothing and stops nothing at the end."""

from __future__ import annotations

import dataclasses
from typing import Any

import docker
from docker.errors import DockerException
from docker.models.containers import Container

from support.settings import Settings
from support.stacks.base import ALERTMANAGER, GATEWAY, PROMETHEUS, StackError, is_ready
from support.stacks.containers import ContainerStack
from support.stacks.engine import EngineMissing, connect

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
DEFAULT_PORTS = {GATEWAY: 11434, PROMETHEUS: 9090, ALERTMANAGER: 9093}
"""The ports the services listen on inside their containers, as stack/docker/compose.yaml runs them."""


def _env(container: Container) -> dict[str, str]:
    pairs = (item.partition("=") for item in container.attrs["Config"].get("Env") or [])
    return {key: value for key, _, value in pairs}


def _listen_flag(container: Container) -> str | None:
    """Prometheus and Alertmanager name their address in --web.listen-address."""
    for argument in container.attrs.get("Args") or []:
        if argument.startswith("--web.listen-address="):
            return argument.split("=", 1)[1]
    return None


def service_url(service: str, container: Container) -> str:
    """Where the host reaches a service: its published port, or under host networking the address it listens on."""
    port = DEFAULT_PORTS[service]
    published: dict[str, Any] = container.attrs["NetworkSettings"].get("Ports") or {}
    bindings = published.get(f"{port}/tcp")
    if bindings:
        host = bindings[0].get("HostIp") or "127.0.0.1"
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{bindings[0]['HostPort']}"
    address = _env(container).get("OLLAMA_HOST", "") if service == GATEWAY else _listen_flag(container) or ""
    address = address.split("://", 1)[-1].rstrip("/")
    host, _, listened = address.rpartition(":")
    return f"http://{host if host not in ('', '0.0.0.0') else '127.0.0.1'}:{listened or port}"


class ComposeStack(ContainerStack):
    """The services of compose project NAME, found by com.docker.compose.* labels; URLs from userdata or the containers."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._client: docker.DockerClient | None = None
        self._containers: dict[str, Container] = {}

    def containers(self) -> dict[str, Container]:
        """The project's containers by compose service name."""
        return dict(self._containers)

    def control_missing(self) -> str | None:
        """Faults, stats and logs work here; the timed alert scenarios need the suite's own Prometheus and receiver."""
        return (
            f"needs a stack the suite started itself: the alert scenarios run the stack's rules time-compressed against "
            f"the suite's own receiver; compose project {self.settings.compose_project!r} keeps its own Prometheus and Alertmanager"
        )

    def start(self) -> None:
        """Find the project's containers and fill in the URLs userdata left out; starts nothing."""
        try:
            self._client = connect()
            found = self._client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={self.settings.compose_project}"})
        except (EngineMissing, DockerException) as error:
            raise StackError(f"cannot attach to compose project {self.settings.compose_project!r}: {error}") from error
        self._containers = {c.labels.get(SERVICE_LABEL, c.name): c for c in found}
        if GATEWAY not in self._containers:
            listed = ", ".join(sorted(self._containers)) or "no containers"
            raise StackError(f"compose project {self.settings.compose_project!r} has no {GATEWAY!r} service ({listed}); "
                             "is it up? (docker-compose -p NAME ps)")
        urls = self._discovered_urls()
        self.settings = dataclasses.replace(self.settings, ollama_url=urls["ollama_url"], openai_url=urls["openai_url"],
                                            prometheus_url=urls["prometheus_url"], alertmanager_url=urls["alertmanager_url"])
        if not is_ready(self.ollama_url):
            raise StackError(f"the compose gateway does not answer GET {self.ollama_url}/ with 200")

    def _discovered_urls(self) -> dict[str, str]:
        urls = {"ollama_url": self.settings.ollama_url or service_url(GATEWAY, self._containers[GATEWAY])}
        urls["openai_url"] = self.settings.openai_url or f"{urls['ollama_url']}/v1"
        for service, key in ((PROMETHEUS, "prometheus_url"), (ALERTMANAGER, "alertmanager_url")):
            given = getattr(self.settings, key)
            urls[key] = given or (service_url(service, self._containers[service]) if service in self._containers else "")
        return urls

    def stop(self) -> None:
        """Leave the project running; close the engine connection."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def describe(self) -> dict[str, str]:
        """Add the project, its services and their images."""
        facts = {**super().describe(), "compose_project": self.settings.compose_project}
        gateway = self._containers.get(GATEWAY)
        if gateway is not None:
            # The engine is the compose file's choice, not the suite's -D engine.
            arguments = list(gateway.attrs.get("Args") or [])
            facts["engine"] = arguments[arguments.index("--engine") + 1] if "--engine" in arguments[:-1] else "mistralrs (the gateway's default)"
        for name, container in self._containers.items():
            facts[f"service_{name}"] = f"{container.name} ({', '.join(container.image.tags) or container.image.short_id})"
        return facts
