"""The same gateway over llama.cpp, and over an OpenAI upstream (here: a second gateway's /v1, a real server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import GatewayProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llamacpp(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(models_dir, tmp_path_factory.mktemp("logs") / "llamacpp.log", "--engine", "llamacpp")
    yield process
    process.stop()


def test_llamacpp_engine_serves_the_same_api(llamacpp: GatewayProcess) -> None:
    body = {"model": "smollm2", "prompt": "Why is the sky blue?", "options": {"temperature": 0, "num_predict": 8}}
    lines = httpx.post(llamacpp.url + "/api/generate", json=body, timeout=60).text.splitlines()
    final = json.loads(lines[-1])
    assert final["done_reason"] == "length" and final["eval_count"] == 8 and final["prompt_eval_count"] > 0
    assert "".join(json.loads(line)["response"] for line in lines)


def test_openai_engine_drives_an_upstream_by_url(llamacpp: GatewayProcess, models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    upstream = GatewayProcess(models_dir, tmp_path_factory.mktemp("logs") / "upstream.log", "--engine", "openai", "--upstream-url", llamacpp.url + "/v1")
    try:
        answer = httpx.post(upstream.url + "/api/chat", json={"model": "smollm2", "messages": [{"role": "user", "content": "Hi"}], "stream": False,
                                                             "options": {"temperature": 0, "num_predict": 5}}, timeout=60).json()
        assert answer["message"]["content"] and answer["eval_count"] == 5 and answer["done_reason"] == "length"
    finally:
        upstream.stop()
