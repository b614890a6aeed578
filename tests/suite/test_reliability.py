"""The reliability library: verdicts, generated bodies, the description, figures; and the checks' negative controls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from support.reliability.description import Operation, operations
from support.reliability.fuzzing import Answer, Budget, Sender, fuzz
from support.reliability.gateways import _address
from support.reliability.generated import SCRATCH_PREFIX, tamed
from support.reliability.hostile import hostile_body
from support.reliability.load import Record, Soak, percentile
from support.reliability.profile import DEFAULT_PROFILE, REPO_ROOT, load_profile
from support.reliability.streams import abandon_streams, held_after, metric_sum
from support.reliability.verdicts import violation
from support.report import reliability as figures

from .leaky_gateway import crashing_app, serving, streaming_app

GENERATE_ONLY = {
    "paths": {"/api/generate": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/G"}}}}}}},
    "components": {"schemas": {"G": {"type": "object", "required": ["model"], "properties": {"model": {"type": "string"}, "prompt": {"type": "string"}}}}},
}


def answer(status: int, body: bytes, path: str = "/api/generate", content_type: str = "application/json") -> Answer:
    return Answer("POST", path, status, content_type, body)


@pytest.mark.parametrize(("status", "body", "path"), [
    (400, b'{"error":"model is required"}', "/api/generate"),
    (404, b"404 page not found", "/api/nope"),
    (405, b"405 method not allowed", "/api/generate"),
    (500, b'{"error":"option \\"temperature\\" must be of type float32"}', "/api/generate"),
    (503, b'{"error":"server busy, please try again.  maximum pending requests exceeded"}', "/api/chat"),
    (400, b'{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}', "/v1/completions"),
    (413, b'{"error":"request body too large: limit is 10 bytes"}', "/api/generate"),
])
def test_answers_ollama_gives_pass(status: int, body: bytes, path: str) -> None:
    assert violation(answer(status, body, path)) is None


@pytest.mark.parametrize(("status", "body", "path"), [
    (500, b"Internal Server Error", "/api/generate"),
    (500, b'{"error":"maximum recursion depth exceeded"}', "/api/generate"),
    (502, b'{"error":"bad gateway"}', "/api/generate"),
    (400, b"<html>bad</html>", "/api/generate"),
    (400, b'{"error":""}', "/api/generate"),
    (400, b'{"error":"bad"}', "/v1/completions"),
])
def test_answers_ollama_never_gives_fail(status: int, body: bytes, path: str) -> None:
    assert violation(answer(status, body, path)) is not None


def test_a_stream_with_a_line_that_is_not_json_fails() -> None:
    body = b'{"response":"a","done":false}\nTraceback (most recent call last)\n'
    assert violation(answer(200, body, content_type="application/x-ndjson")) is not None
    assert violation(answer(200, b'{"response":"a"}\n{"error":"x"}\n', content_type="application/x-ndjson")) is None


def test_generated_writes_get_scratch_names_and_generation_few_tokens() -> None:
    copy = tamed(Operation("POST", "/api/copy", {}), {"source": "smollm2:135m", "destination": "smollm2:135m"}, "smollm2:135m")
    assert copy["destination"].startswith(SCRATCH_PREFIX) and copy["source"].startswith(SCRATCH_PREFIX)
    generate = tamed(Operation("POST", "/api/generate", {}), {"model": "m", "options": {"num_predict": 10**6}}, "m")
    assert generate["options"]["num_predict"] <= 4
    assert tamed(Operation("POST", "/api/generate", {}), {"model": "m", "options": "x"}, "m")["options"] == "x"
    assert tamed(Operation("POST", "/v1/completions", {}), {"model": "m"}, "m")["max_tokens"] <= 4
    # Each of these would have the model write until its window is full, past any request's bound.
    for unbounded in (None, -1, -2, 1e16, -1.0):
        assert tamed(Operation("POST", "/v1/completions", {}), {"model": "m", "max_tokens": unbounded}, "m")["max_tokens"] == 4
        assert tamed(Operation("POST", "/api/chat", {}), {"model": "m", "options": {"num_predict": unbounded}}, "m")["options"]["num_predict"] == 4
    assert tamed(Operation("POST", "/v1/completions", {}), {"model": "m", "max_tokens": "many"}, "m")["max_tokens"] == "many"
    # The newer endpoints name their budgets differently; instructions alone would otherwise write a whole window.
    assert tamed(Operation("POST", "/v1/responses", {}), {"model": "m", "instructions": "x"}, "m")["max_output_tokens"] == 4
    assert tamed(Operation("POST", "/v1/messages", {}), {"model": "m", "max_tokens": 10**6}, "m")["max_tokens"] == 4


def test_the_gateway_description_lists_json_bodies_with_references_resolved() -> None:
    import yaml

    spec = yaml.safe_load((REPO_ROOT / "stack/gateway/openapi.yaml").read_text())
    listed = {operation.name: operation for operation in operations(spec)}
    assert listed["POST /api/generate"].body is not None
    assert listed["POST /api/generate"].body["properties"]["options"]["type"] == "object"
    assert listed["GET /api/tags"].body is None


def _in_process(app: object) -> Sender:
    client = TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]

    def send(method: str, path: str, body: bytes | None) -> Answer:
        response = client.request(method, path, content=body)
        return Answer(method, path, response.status_code, response.headers.get("content-type", ""), response.content)

    return send


def test_negative_control_a_gateway_that_answers_a_fuzzed_body_with_500_fails_the_fuzz_check() -> None:
    budget = Budget(examples=60, seconds=30, request_timeout_s=5)
    broken = fuzz(_in_process(crashing_app(validate=False)), operations(GENERATE_ONLY), "m", budget)
    assert broken.violation_count > 0 and any("500" in line for line in broken.violations)
    sound = fuzz(_in_process(crashing_app(validate=True)), operations(GENERATE_ONLY), "m", budget)
    assert sound.sent > 0 and sound.violations == []


def test_negative_control_a_gateway_that_leaks_a_slot_on_disconnect_fails_the_slot_check() -> None:
    body = {"model": "m", "prompt": "p"}
    with serving(streaming_app(leak_on_disconnect=True)) as url:
        outcome = abandon_streams(f"{url}/api/generate", body, clients=6, at_once=3, timeout_s=10)
        assert outcome.got_first_chunk == 6
        assert held_after(url, settle_s=1.0) == {"gateway_requests_in_flight": 6.0}
    with serving(streaming_app(leak_on_disconnect=False)) as url:
        abandon_streams(f"{url}/api/generate", body, clients=6, at_once=3, timeout_s=10)
        assert held_after(url, settle_s=5.0) == {}


def test_metric_sum_adds_the_samples_with_the_labels() -> None:
    text = 'gateway_engine_up{engine="openai"} 0.0\ngateway_engine_up{engine="llamacpp"} 1.0\n# HELP x\n'
    assert metric_sum(text, "gateway_engine_up", {"engine": "openai"}) == 0.0
    assert metric_sum(text, "gateway_engine_up") == 1.0


def test_soak_fifths_percentiles_and_memory_growth() -> None:
    run = Soak(concurrency=1, duration_s=10.0, records=[Record(t, 1.0 + t / 10, True) for t in range(10)],
               memory=[(0.5, 100), (1.5, 110), (9.5, 150)])
    assert run.fifth(0) == [1.0, 1.1] and run.fifth(4) == [1.8, 1.9]
    assert run.memory_growth() == 45  # the end less the median of the first fifth (100, 110)
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0 and percentile([], 0.9) == 0.0


def test_the_profile_has_every_key_the_scenarios_read() -> None:
    profile = load_profile(REPO_ROOT / DEFAULT_PROFILE)
    for length in ("short", "long"):
        assert profile("soak", length, "concurrency") >= 1 and profile("fuzz", length, "seconds") > 0
        assert profile("disconnects", length, "clients") >= profile("disconnects", length, "at_once") >= 1
    with pytest.raises(KeyError):
        profile("soak", "medium")


def test_figures_page_keeps_every_scenario(tmp_path: Path) -> None:
    figures.record(tmp_path, "load", "soak (short)", {"requests": 12, "errors": 0})
    page = figures.record(tmp_path, "faults", "upstream | killed", {"error line after s": 1.5})
    text = page.read_text()
    assert "| soak (short) | requests: 12; errors: 0 |" in text and "upstream \\| killed" in text
    assert json.loads((tmp_path / "reliability.json").read_text())["load"]["soak (short)"]["requests"] == 12
    with pytest.raises(ValueError):
        figures.record(tmp_path, "other", "x", {})


def test_proc_net_addresses_are_read_in_host_order() -> None:
    assert _address("0100007F") == "127.0.0.1"
    assert _address("00000000000000000000000001000000") == "::1"


def test_hostile_bodies_are_named() -> None:
    body, headers = hostile_body("a body declared larger than the limit", "m")
    assert int(headers["Content-Length"]) > len(body)
    with pytest.raises(ValueError):
        hostile_body("a polite request", "m")


def test_a_message_holding_a_unicode_line_separator_is_still_one_error() -> None:
    assert violation(answer(400, '{"error":"name \\"a\u0085b\u2028c\\" is invalid"}'.encode())) is None
