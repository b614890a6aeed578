"""Runner processes: each loaded model in a process of its own, so a crash costs only that runner's requests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stack.gateway.engines.process import ErrorTail, terminated
from stack.gateway.errors import GatewayError
from stack.gateway.options import parse_format
from support import runners
from support.models import transfer
from support.models.gateway import smollm2_gguf

from .conftest import GatewayProcess

BROKE = "an error was encountered while running the model: unexpected EOF"


def test_exits_are_described_in_gos_words() -> None:
    assert terminated(1, "") == "exit status 1"
    assert terminated(1, "error loading model: unknown architecture") == "exit status 1: error loading model: unknown architecture"
    assert terminated(-signal.SIGKILL, "") == "signal: killed"
    assert terminated(-signal.SIGSEGV, "") == "signal: segmentation fault"


def test_the_error_tail_keeps_only_error_lines_from_their_marker_on() -> None:
    async def follow(text: bytes) -> str:
        stream = asyncio.StreamReader()
        stream.feed_data(text)
        stream.feed_eof()
        tail = ErrorTail("test")
        await tail.follow(stream)
        return tail.last_error

    text = b"loading tensors\nllama_model_load: error: unknown architecture 'x'\ndone\nmalloc(): invalid next size (unsorted)\n"
    assert asyncio.run(follow(text)) == "error: unknown architecture 'x'\nmalloc(): invalid next size (unsorted)"


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": 5},
    {"type": "objectx"},
    {"type": "object", "required": "a"},
    {"type": "array", "items": 3},
    {"anyOf": {"type": "string"}},
    {"type": "string", "maxLength": "ten"},
])
def test_a_schema_no_grammar_compiler_could_take_is_ollamas_invalid_format(schema: dict[str, object]) -> None:
    with pytest.raises(GatewayError) as raised:
        parse_format(schema)
    assert raised.value.status == 500
    assert raised.value.message.startswith("invalid format: ") and raised.value.message.endswith('expected "json" or a valid JSON Schema object')


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name"]},
    {"type": ["string", "null"]},
    {"anyOf": [{"type": "integer"}, {"enum": ["a", "b"]}]},
    {"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs/a"},
    {"type": "object", "additionalProperties": False},
])
def test_well_formed_schemas_reach_the_engine(schema: dict[str, object]) -> None:
    assert parse_format(schema) == schema


def runner_pids(gateway: GatewayProcess) -> list[int]:
    return [runner.pid for runner in runners.runner_processes(gateway.process.pid)]


def loaded(client: httpx.Client) -> list[str]:
    return [model["name"] for model in client.get("/api/ps").json()["models"]]


def dropped_from_ps(client: httpx.Client, within_s: float = 2.0) -> bool:
    """Whether /api/ps lists no model within a moment of a runner's death, without waiting for a request."""
    deadline = time.monotonic() + within_s
    while loaded(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    return loaded(client) == []


def answer(client: httpx.Client) -> dict[str, object]:
    response = client.post("/api/generate", json={"model": "smollm2", "prompt": "Name a colour.", "stream": False,
                                                   "options": {"temperature": 0, "num_predict": 4}})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture(scope="module", params=["mistralrs", "llamacpp"])
def engine_gateway(request: pytest.FixtureRequest, models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(models_dir, tmp_path_factory.mktemp("logs") / f"{request.param}.log", "--engine", request.param)
    yield process
    process.stop()


@pytest.mark.slow
def test_a_runner_killed_mid_stream_fails_only_that_stream(engine_gateway: GatewayProcess) -> None:
    with httpx.Client(base_url=engine_gateway.url, timeout=120) as client:
        reference = answer(client)
        lines: list[dict[str, object]] = []
        with client.stream("POST", "/api/generate", json={"model": "smollm2", "prompt": "Tell a long story.", "options": {"num_predict": 4000}}) as stream:
            for line in stream.iter_lines():
                lines.append(json.loads(line))
                if len(lines) == 3:
                    [pid] = runner_pids(engine_gateway)
                    os.kill(pid, signal.SIGKILL)
        assert lines[-1] == {"error": BROKE}
        assert not any(line.get("done") for line in lines)
        assert dropped_from_ps(client)
        assert answer(client)["response"] == reference["response"]
        assert engine_gateway.process.poll() is None


@pytest.mark.slow
def test_a_runner_killed_while_idle_leaves_ps_at_once(engine_gateway: GatewayProcess) -> None:
    with httpx.Client(base_url=engine_gateway.url, timeout=120) as client:
        answer(client)
        [pid] = runner_pids(engine_gateway)
        os.kill(pid, signal.SIGKILL)
        assert dropped_from_ps(client)
        assert 'reason="crashed"}' in client.get("/metrics").text
        answer(client)
        assert len(runner_pids(engine_gateway)) == 1


@pytest.mark.slow
def test_a_model_no_runner_can_load_is_ollamas_load_failure(engine_gateway: GatewayProcess, tmp_path: Path) -> None:
    broken = runners.unloadable_copy(smollm2_gguf(), tmp_path / "broken.gguf")
    digest = transfer.file_digest(broken)
    transfer.upload(engine_gateway.url, digest, broken, None)
    with httpx.Client(base_url=engine_gateway.url, timeout=120) as client:
        created = client.post("/api/create", json={"model": "broken", "files": {"broken.gguf": digest}, "stream": False})
        assert created.status_code == 200, created.text
        response = client.post("/api/generate", json={"model": "broken", "prompt": "hi", "stream": False})
        assert response.status_code == 500
        assert response.json()["error"].startswith("llama-server process has terminated: exit status 1: error loading model:")
        assert "gateway_model_load_failures_total{" in client.get("/metrics").text
        answer(client)


@pytest.mark.slow
def test_runners_never_outlive_a_killed_gateway(models_dir: Path, tmp_path: Path) -> None:
    gateway = GatewayProcess(models_dir, tmp_path / "gateway.log")
    try:
        with httpx.Client(base_url=gateway.url, timeout=120) as client:
            answer(client)
        [pid] = runner_pids(gateway)
        gateway.process.send_signal(signal.SIGKILL)
        gateway.process.wait()
        deadline = time.monotonic() + 5
        while runners.is_running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not runners.is_running(pid), "the runner outlived its gateway"
    finally:
        gateway.stop()


@pytest.mark.slow
def test_runner_memory_and_cpu_are_exported_per_model(engine_gateway: GatewayProcess) -> None:
    with httpx.Client(base_url=engine_gateway.url, timeout=120) as client:
        answer(client)
        [pid] = runner_pids(engine_gateway)
        exported = engine_gateway.metric("gateway_runner_resident_memory_bytes", client)
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        assert abs(exported - rss) / rss < 0.1, f"exported {exported:.0f} bytes, /proc says {rss}"
        assert engine_gateway.metric("gateway_runner_cpu_seconds_total", client) > 0
