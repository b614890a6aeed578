"""The local stack driver: command line, readiness, failing fast, and stopping."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from support.polling import wait_until
from support.settings import settings_from_userdata
from support.stacks import stack_for
from support.stacks.base import ServiceUnsupported, StackError, free_port, is_ready
from support.stacks.compose import ComposeStack
from support.stacks.docker import DockerStack
from support.stacks.external import ExternalStack
from support.stacks.local import LocalProcessStack

from . import fake_ollama

# Stands in for .venv/bin/python: serves GET / like the gateway on the --port it is given.
SERVING_PYTHON = """#!/bin/sh
echo "started with: $*"
port=$(echo "$*" | sed -n 's/.*--port \\([0-9]*\\).*/\\1/p')
exec {python} -c "
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'Ollama is running')
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
" "$port"
"""
FAILING_PYTHON = """#!/bin/sh
echo "no model found" >&2
exit 3
"""


def fake_repo(tmp_path: Path, script: str) -> Path:
    python = tmp_path / "repo" / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(script.format(python=os.environ.get("PYTHON", "/usr/bin/env python3")))
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return tmp_path / "repo"


def local_stack(repo: Path, tmp_path: Path, **userdata: str) -> LocalProcessStack:
    settings = settings_from_userdata({"results_dir": str(tmp_path / "results"), **userdata}, repo)
    stack = stack_for(settings, repo)
    assert isinstance(stack, LocalProcessStack)
    return stack


def test_the_command_carries_only_the_options_that_are_set(tmp_path: Path) -> None:
    stack = local_stack(tmp_path, tmp_path, engine="llamacpp", models_dir="/m")
    command = stack.command()
    assert command[1:3] == ["-m", "stack.gateway"]
    assert command[command.index("--engine") + 1] == "llamacpp"
    assert command[command.index("--models-dir") + 1] == "/m"
    assert "--default-model" not in command
    assert command[command.index("--port") + 1] == str(stack.port)


def test_a_started_stack_answers_and_stops(tmp_path: Path) -> None:
    stack = local_stack(fake_repo(tmp_path, SERVING_PYTHON), tmp_path, startup_timeout="30")
    stack.start()
    try:
        assert stack.describe()["ollama_url"] == f"http://127.0.0.1:{stack.port}"
    finally:
        stack.stop()
    stack.stop()
    assert "started with: -m stack.gateway" in stack.log_path.read_text()


def test_a_gateway_that_exits_fails_fast_with_its_log(tmp_path: Path) -> None:
    stack = local_stack(fake_repo(tmp_path, FAILING_PYTHON), tmp_path, startup_timeout="30")
    with pytest.raises(StackError, match=r"exited with 3(.|\n)*no model found"):
        stack.start()


def test_an_external_stack_is_checked_but_never_started(tmp_path: Path) -> None:
    with fake_ollama.running() as server:
        settings = settings_from_userdata({"target": "external", "ollama_url": server.url}, tmp_path)
        stack = stack_for(settings, tmp_path)
        assert isinstance(stack, ExternalStack)
        stack.start()
        assert stack.describe()["reported_version"] == "0.33.0"
        stack.stop()


def test_an_unreachable_external_stack_is_an_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = settings_from_userdata({"target": "external", "ollama_url": url}, tmp_path)
    with pytest.raises(StackError, match="no stack answers"):
        stack_for(settings, tmp_path).start()


def test_the_local_driver_stops_pauses_measures_and_restarts_its_gateway(tmp_path: Path) -> None:
    stack = local_stack(fake_repo(tmp_path, SERVING_PYTHON), tmp_path, startup_timeout="30")
    stack.start()
    try:
        assert stack.services() == ("gateway",) and stack.control_missing() is None
        pid = stack.gateway_pid
        assert pid is not None
        stack.pause_service("gateway")
        assert wait_until(lambda: Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "T", 5.0, 0.05)
        assert not is_ready(stack.ollama_url)
        stack.resume_service("gateway")
        assert is_ready(stack.ollama_url)
        usage = stack.service_usage("gateway")
        assert usage.memory_bytes > 1_000_000 and usage.cpu_seconds >= 0
        assert "started with" in stack.service_logs("gateway")
        stack.kill_service("gateway")
        assert stack.gateway_pid is None and not is_ready(stack.ollama_url)
        stack.start_service("gateway")
        assert is_ready(stack.ollama_url) and stack.gateway_pid != pid
        with pytest.raises(ServiceUnsupported, match="cannot stop 'prometheus'"):
            stack.stop_service("prometheus")
    finally:
        stack.stop()


def test_a_stack_reached_by_url_refuses_service_operations(tmp_path: Path) -> None:
    settings = settings_from_userdata({"target": "external", "ollama_url": "http://127.0.0.1:9"}, tmp_path)
    stack = stack_for(settings, tmp_path)
    assert stack.services() == () and stack.recent_logs() == {}
    assert "target=external is not one" in (stack.control_missing() or "")
    with pytest.raises(ServiceUnsupported, match="services it manages: none"):
        stack.kill_service("gateway")


def test_the_targets_pick_their_drivers(tmp_path: Path) -> None:
    docker_settings = settings_from_userdata({"target": "docker", "results_dir": str(tmp_path)}, tmp_path)
    assert isinstance(stack_for(docker_settings, tmp_path), DockerStack)
    compose_settings = settings_from_userdata({"target": "compose", "compose_project": "llm"}, tmp_path)
    assert isinstance(stack_for(compose_settings, tmp_path), ComposeStack)
