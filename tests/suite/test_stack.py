"""The local stack driver: command line, readiness, failing fast, and stopping."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from support.settings import settings_from_userdata
from support.stacks import stack_for
from support.stacks.base import StackError, free_port
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
