"""The container drivers' pure parts: stats as docker stats reads them, and where a compose service is reached."""

from __future__ import annotations

import signal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from support.settings import SettingsError, settings_from_userdata
from support.stacks.compose import service_url
from support.stacks.containers import usage_from_stats
from support.stacks.docker import signals_held


def container(env: list[str] | None = None, args: list[str] | None = None, ports: dict[str, Any] | None = None) -> Any:
    return SimpleNamespace(attrs={"Config": {"Env": env or []}, "Args": args or [], "NetworkSettings": {"Ports": ports or {}}})


def test_memory_leaves_out_the_page_cache_as_docker_stats_does() -> None:
    stats = {"memory_stats": {"usage": 500, "stats": {"inactive_file": 200}}, "cpu_stats": {"cpu_usage": {"total_usage": 2_500_000_000}}}
    usage = usage_from_stats(stats)
    assert (usage.memory_bytes, usage.cpu_seconds) == (300, 2.5)
    # cgroup v1 names the cache total_inactive_file.
    assert usage_from_stats({"memory_stats": {"usage": 500, "stats": {"total_inactive_file": 100}}}).memory_bytes == 400


def test_a_host_network_gateway_is_reached_where_ollama_host_says() -> None:
    assert service_url("gateway", container(env=["PATH=/x", "OLLAMA_HOST=127.0.0.1:11500"])) == "http://127.0.0.1:11500"
    assert service_url("gateway", container(env=["OLLAMA_HOST=0.0.0.0:11434"])) == "http://127.0.0.1:11434"
    assert service_url("gateway", container()) == "http://127.0.0.1:11434"


def test_published_ports_win_over_the_listen_address() -> None:
    published = {"9090/tcp": [{"HostIp": "0.0.0.0", "HostPort": "19090"}]}
    assert service_url("prometheus", container(args=["--web.listen-address=127.0.0.1:9090"], ports=published)) == "http://127.0.0.1:19090"
    assert service_url("alertmanager", container(args=["--web.listen-address=127.0.0.1:9193"])) == "http://127.0.0.1:9193"


def test_a_compose_target_needs_its_project() -> None:
    with pytest.raises(SettingsError, match="compose_project"):
        settings_from_userdata({"target": "compose"}, Path("/repo"))


def test_signals_are_held_while_containers_are_removed_and_restored_after() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals_held():
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) == before
