"""The real gateway with the real model: Ollama's native API, its framing, errors and scheduler."""

from __future__ import annotations

import json
import math
import re
import threading
import time

import httpx
import pytest

from .conftest import GatewayProcess

pytestmark = pytest.mark.slow
GREEDY = {"temperature": 0, "num_predict": 8}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def ndjson(response: httpx.Response) -> list[dict[str, object]]:
    lines = response.text.split("\n")
    assert lines[-1] == "", "the stream must end with a newline"
    assert all(lines[:-1]), f"blank NDJSON line in {response.text!r}"
    return [json.loads(line) for line in lines[:-1]]


def test_liveness_and_version(client: httpx.Client) -> None:
    assert client.get("/").text == "Ollama is running"
    assert client.head("/").status_code == 200
    version = client.get("/api/version")
    assert version.headers["content-type"] == "application/json; charset=utf-8"
    assert tuple(int(part) for part in version.json()["version"].split(".")) >= (0, 6, 4)


def test_tags_list_both_tags_of_the_bundled_model(client: httpx.Client) -> None:
    models = {entry["name"]: entry for entry in client.get("/api/tags").json()["models"]}
    assert {"smollm2:135m", "smollm2:latest"} <= set(models)
    entry = models["smollm2:135m"]
    assert entry["model"] == entry["name"]
    assert re.fullmatch(r"[0-9a-f]{64}", entry["digest"])
    assert entry["digest"] == models["smollm2:latest"]["digest"]
    assert RFC3339.match(entry["modified_at"])
    assert entry["details"]["format"] == "gguf" and entry["details"]["quantization_level"] == "Q4_1"
    assert "expires_at" not in entry


@pytest.mark.parametrize("key", ["model", "name"])
def test_show_accepts_model_or_name(client: httpx.Client, key: str) -> None:
    shown = client.post("/api/show", json={key: "smollm2:135m"}).json()
    assert shown["model_info"]["llama.context_length"] == 8192
    assert shown["model_info"]["tokenizer.ggml.tokens"] == []
    assert "general.name" not in shown["model_info"]
    assert shown["capabilities"] == ["completion", "tools"]
    assert "tools" in shown["template"]
    assert 'stop                           "<|im_start|>"' in shown["parameters"]
    assert shown["details"]["family"] == "llama"


def test_generate_streams_ndjson_with_a_final_chunk_in_nanoseconds(client: httpx.Client) -> None:
    response = client.post("/api/generate", json={"model": "smollm2", "prompt": "Why is the sky blue?", "options": GREEDY})
    assert response.headers["content-type"] == "application/x-ndjson"
    chunks = ndjson(response)
    assert all(chunk["model"] == "smollm2" for chunk in chunks)
    assert all(RFC3339.match(str(chunk["created_at"])) and str(chunk["created_at"]).endswith("Z") for chunk in chunks)
    final = chunks[-1]
    assert final["done"] is True and final["done_reason"] == "length" and final["eval_count"] == 8
    assert final["total_duration"] > final["eval_duration"] > 1_000_000  # type: ignore[operator]
    assert isinstance(final["context"], list) and final["context"]
    assert all(chunk["done"] is False and "response" in chunk for chunk in chunks[:-1])


def test_a_one_token_answer_still_reports_its_decode_time(client: httpx.Client) -> None:
    final = client.post("/api/generate", json={"model": "smollm2", "prompt": "Hi", "stream": False, "options": {"temperature": 0, "num_predict": 1}}).json()
    assert final["eval_count"] == 1 and final["eval_duration"] > 0


def test_streamed_text_equals_the_non_streamed_answer(client: httpx.Client) -> None:
    body = {"model": "smollm2", "prompt": "Name a fruit.", "options": GREEDY}
    streamed = "".join(str(chunk["response"]) for chunk in ndjson(client.post("/api/generate", json=body)))
    whole = client.post("/api/generate", json={**body, "stream": False})
    assert whole.headers["content-type"] == "application/json; charset=utf-8"
    assert whole.json()["response"] == streamed


def test_context_continues_a_conversation(client: httpx.Client) -> None:
    first = client.post("/api/generate", json={"model": "smollm2", "prompt": "My name is Ada.", "stream": False, "options": GREEDY}).json()
    second = client.post("/api/generate", json={"model": "smollm2", "prompt": "What is my name?", "context": first["context"], "stream": False, "options": GREEDY}).json()
    assert second["prompt_eval_count"] > first["prompt_eval_count"]
    assert second["context"][: len(first["context"])] == first["context"]


def test_raw_mode_skips_the_template_and_context(client: httpx.Client) -> None:
    raw = client.post("/api/generate", json={"model": "smollm2", "prompt": "1, 2, 3,", "raw": True, "stream": False, "options": GREEDY}).json()
    assert "context" not in raw
    assert raw["prompt_eval_count"] < 10


def test_json_format_constrains_the_answer(client: httpx.Client) -> None:
    schema = {"type": "object", "properties": {"color": {"type": "string", "enum": ["red", "blue"]}}, "required": ["color"], "additionalProperties": False}
    answer = client.post("/api/generate", json={"model": "smollm2", "prompt": "Pick a color.", "format": schema, "stream": False, "options": {"temperature": 0, "num_predict": 30}}).json()
    assert json.loads(answer["response"])["color"] in ("red", "blue")


WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city",
                                                 "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
CALL_SCHEMA = {"type": "object", "properties": {"name": {"const": "get_weather"}, "arguments": {"type": "object", "properties": {"location": {"type": "string", "enum": ["Boston"]}}, "required": ["location"]}}, "required": ["name", "arguments"]}


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_come_back_with_arguments_as_objects(client: httpx.Client, stream: bool) -> None:
    """A format that only admits a call makes even a 135M model call the tool, so the tool path is exercised for real."""
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "What is the weather in Boston?"}], "tools": [WEATHER_TOOL],
            "format": CALL_SCHEMA, "stream": stream, "options": {"temperature": 0, "num_predict": 40}}
    response = client.post("/api/chat", json=body)
    chunks = ndjson(response) if stream else [response.json()]
    calls = [call for chunk in chunks for call in chunk["message"].get("tool_calls", [])]  # type: ignore[union-attr]
    assert [call["function"] for call in calls] == [{"index": 0, "name": "get_weather", "arguments": {"location": "Boston"}}]
    assert [str(call.get("id", "")).startswith("call_") for call in calls] == [True], calls
    assert chunks[-1]["done_reason"] == "stop"


def test_a_tool_round_trip_is_accepted(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "Weather in Boston?"},
                {"role": "assistant", "content": "", "tool_calls": [{"function": {"index": 0, "name": "get_weather", "arguments": {"location": "Boston"}}}]},
                {"role": "tool", "tool_name": "get_weather", "content": "Sunny, 21 C"}]
    answer = client.post("/api/chat", json={"model": "smollm2", "messages": messages, "tools": [WEATHER_TOOL], "stream": False, "options": GREEDY})
    assert answer.status_code == 200 and answer.json()["message"]["content"]


def test_chat_multi_turn_with_system_prompt(client: httpx.Client) -> None:
    messages = [{"role": "system", "content": "Answer briefly."}, {"role": "USER", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "How are you?"}]
    answer = client.post("/api/chat", json={"model": "smollm2:135m", "messages": messages, "stream": False, "options": GREEDY}).json()
    assert answer["message"]["role"] == "assistant" and answer["message"]["content"]
    assert answer["prompt_eval_count"] > 20 and "thinking" not in answer["message"]


def test_streamed_chat_chunks_carry_model_message_and_done(client: httpx.Client) -> None:
    chunks = ndjson(client.post("/api/chat", json={"model": "smollm2", "messages": [{"role": "user", "content": "Hi"}], "options": GREEDY}))
    assert all({"model", "message", "done", "created_at"} <= set(chunk) for chunk in chunks)
    assert chunks[-1]["done_reason"] == "length" and chunks[-1]["message"] == {"role": "assistant", "content": ""}
    assert all("thinking" not in chunk["message"] for chunk in chunks)  # type: ignore[operator]


def test_a_prompt_longer_than_num_ctx_is_truncated_not_rejected(client: httpx.Client) -> None:
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"Message number {i} talks about apples and pears."} for i in range(60)]
    messages = [{"role": "system", "content": "You are terse."}, *history, {"role": "user", "content": "Say hi."}]
    answer = client.post("/api/chat", json={"model": "smollm2", "messages": messages, "stream": False, "options": {"num_ctx": 256, "temperature": 0, "num_predict": 4}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["prompt_eval_count"] <= 256


def test_empty_prompt_loads_and_keep_alive_zero_unloads(client: httpx.Client) -> None:
    loaded = client.post("/api/generate", json={"model": "smollm2:135m"})
    assert loaded.headers["content-type"] == "application/json; charset=utf-8"
    assert loaded.json()["done_reason"] == "load" and "total_duration" not in loaded.json()
    # Earlier tests may have left the embedding model loaded; this one is about SmolLM2's runner.
    running = [entry for entry in client.get("/api/ps").json()["models"] if entry["name"].startswith("smollm2")]
    # Tags of one blob share one runner, shown under the name that loaded it, as in Ollama.
    assert [entry["name"] for entry in running] in (["smollm2:135m"], ["smollm2:latest"])
    assert running[0]["size_vram"] == 0 and running[0]["size"] > 0 and RFC3339.match(running[0]["expires_at"])
    unloaded = client.post("/api/chat", json={"model": "smollm2:135m", "messages": [], "keep_alive": 0}).json()
    assert unloaded["done_reason"] == "unload"
    assert _smollm2_running(client) == []


def _smollm2_running(client: httpx.Client) -> list[str]:
    return [entry["name"] for entry in client.get("/api/ps").json()["models"] if entry["name"].startswith("smollm2")]


def test_keep_alive_expiry_unloads_the_model(client: httpx.Client) -> None:
    client.post("/api/generate", json={"model": "smollm2", "keep_alive": "1s"})
    assert _smollm2_running(client)
    deadline = time.monotonic() + 5
    while _smollm2_running(client) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _smollm2_running(client) == []


def test_negative_keep_alive_keeps_the_model_for_ever(client: httpx.Client) -> None:
    client.post("/api/generate", json={"model": "smollm2", "keep_alive": -1})
    expires = client.get("/api/ps").json()["models"][0]["expires_at"]
    assert int(expires[:4]) > 2200
    client.post("/api/generate", json={"model": "smollm2", "keep_alive": 0})


def test_embed_returns_normalised_vectors_and_the_legacy_route_does_not(client: httpx.Client) -> None:
    batch = client.post("/api/embed", json={"model": "all-minilm", "input": ["why is the sky blue?", "why is the grass green?"]}).json()
    assert len(batch["embeddings"]) == 2 and batch["prompt_eval_count"] == 16
    for vector in batch["embeddings"]:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-5)
    cut = client.post("/api/embed", json={"model": "all-minilm", "input": "hello", "dimensions": 8}).json()["embeddings"][0]
    assert len(cut) == 8 and math.isclose(math.sqrt(sum(x * x for x in cut)), 1.0, rel_tol=1e-5)
    legacy = client.post("/api/embeddings", json={"model": "all-minilm", "prompt": "why is the sky blue?"}).json()["embedding"]
    assert not math.isclose(math.sqrt(sum(x * x for x in legacy)), 1.0, rel_tol=1e-3)
    assert client.post("/api/embed", json={"model": "all-minilm", "input": []}).json() == {"model": "all-minilm", "embeddings": []}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/api/generate", {"model": "missing", "prompt": "x"}, 404, "model 'missing' not found"),
        ("POST", "/api/generate", {"prompt": "x"}, 404, "model '' not found"),
        ("POST", "/api/chat", {"messages": []}, 400, "model is required"),
        ("POST", "/api/embed", {"model": "missing", "input": "x"}, 404, 'model "missing" not found, try pulling it first'),
        ("POST", "/api/embeddings", {"prompt": "x"}, 400, "model is required"),
        ("POST", "/api/show", {"model": "missing"}, 404, "model 'missing:latest' not found"),
        ("POST", "/api/generate", "{\"model\":", 400, "unexpected EOF"),
        ("POST", "/api/generate", "", 400, "missing request body"),
        ("POST", "/api/generate", {"model": "smollm2", "prompt": 1}, 400, "json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string"),
        ("POST", "/api/generate", {"model": "smollm2", "prompt": "x", "keep_alive": "300"}, 400, 'time: missing unit in duration "300"'),
        ("POST", "/api/generate", {"model": "smollm2", "prompt": "x", "options": {"temperature": "hot"}}, 500, 'option "temperature" must be of type float32'),
        ("POST", "/api/generate", {"model": "smollm2", "prompt": "x", "images": ["aGVsbG8="]}, 400, "registry.ollama.ai/library/smollm2:latest does not support vision"),
        ("POST", "/api/generate", {"model": "smollm2", "prompt": "x", "think": True}, 400, '"smollm2" does not support thinking'),
        ("POST", "/api/generate", {"model": "bad name!", "prompt": "x"}, 400, "invalid model name"),
        ("POST", "/api/chat", {"model": "smollm2", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 21}, 400, "top_logprobs must be between 0 and 20"),
    ],
)
def test_errors_have_ollamas_status_and_text(client: httpx.Client, method: str, path: str, body: object, status: int, error: str) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    response = client.request(method, path, content=content)
    assert (response.status_code, response.json()) == (status, {"error": error})


def test_wrong_method_and_unknown_path_are_plain_text(client: httpx.Client) -> None:
    assert (client.get("/api/show").status_code, client.get("/api/show").text) == (405, "405 method not allowed")
    assert (client.get("/api/nothing").status_code, client.get("/api/nothing").text) == (404, "404 page not found")


def test_a_body_without_content_type_is_accepted_as_litellm_sends_it(gateway: GatewayProcess) -> None:
    body = json.dumps({"model": "smollm2", "messages": [{"role": "user", "content": "hi", "images": []}], "options": {"num_ctx": 9104, "temperature": 0, "num_predict": 4}, "stream": False})
    response = httpx.post(gateway.url + "/api/chat", content=body.encode(), headers={"User-Agent": "litellm/1.81.10", "Accept": "*/*"}, timeout=60)
    assert "content-type" not in response.request.headers
    assert response.status_code == 200 and response.json()["eval_count"] == 4


def test_a_foreign_host_header_is_refused(gateway: GatewayProcess) -> None:
    assert httpx.get(gateway.url + "/api/tags", headers={"Host": "attacker.example"}).status_code == 403


def test_disconnecting_cancels_the_generation_and_frees_the_slot(gateway: GatewayProcess, client: httpx.Client) -> None:
    arrivals: list[float] = []
    with client.stream("POST", "/api/generate", json={"model": "smollm2", "prompt": "Tell me a very long story.", "options": {"num_predict": 500}}) as stream:
        for _ in stream.iter_lines():
            arrivals.append(time.monotonic())
            if len(arrivals) == 3:
                break
    disconnected = time.monotonic()
    # Poll on the session's open connection so the polling itself adds as little as possible to the figure.
    while gateway.metric("gateway_requests_in_flight", client) > 0 and time.monotonic() - disconnected < 5:
        time.sleep(0.02)
    freed_after = time.monotonic() - disconnected
    assert gateway.metric("gateway_requests_in_flight", client) == 0
    assert freed_after < 1.0, f"the slot was freed {freed_after:.2f} s after the client went away"
    started = time.monotonic()
    follow_up = client.post("/api/generate", json={"model": "smollm2", "prompt": "hi", "stream": False, "options": {"num_predict": 2}})
    waited = time.monotonic() - started
    # Had the engine gone on with the abandoned story, the follow-up would wait for its ~500 remaining tokens.
    remaining = 497 * (arrivals[2] - arrivals[0]) / 2
    assert follow_up.status_code == 200 and follow_up.json()["done"]
    assert waited < remaining / 2, f"the follow-up waited {waited:.1f} s; the rest of the story would take about {remaining:.1f} s"


def test_a_full_queue_answers_503_with_ollamas_text(gateway: GatewayProcess) -> None:
    """With OLLAMA_MAX_QUEUE=1 and one slot: one request runs, one waits, a third is refused."""
    outcomes: list[httpx.Response] = []

    def send() -> None:
        outcomes.append(httpx.post(gateway.url + "/api/generate", json={"model": "smollm2", "prompt": "Count to fifty.", "stream": False, "options": {"num_predict": 40}}, timeout=120))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    for thread in threads:
        thread.join()
    statuses = sorted(response.status_code for response in outcomes)
    assert statuses == [200, 200, 503]
    refused = next(response for response in outcomes if response.status_code == 503)
    assert refused.json() == {"error": "server busy, please try again.  maximum pending requests exceeded"}


def test_metrics_expose_requests_latency_tokens_and_state(client: httpx.Client) -> None:
    client.post("/api/generate", json={"model": "smollm2", "prompt": "hi", "stream": False, "options": {"num_predict": 3}})
    text = client.get("/metrics").text
    for name in ("gateway_requests_total{", "gateway_time_to_first_token_seconds_bucket{", "gateway_inter_token_latency_seconds_bucket{",
                 "gateway_prompt_tokens_total{", "gateway_generation_tokens_total{", "gateway_requests_in_flight ", "gateway_requests_queued ",
                 "gateway_model_loaded{", "gateway_model_load_seconds_bucket{", "gateway_engine_up{", "process_resident_memory_bytes ",
                 "process_cpu_seconds_total "):
        assert name in text, name
    assert 'endpoint="/api/generate",method="POST",model="smollm2",status="200"' in text
    assert 'le="2560.0"' in text


def test_a_client_that_leaves_a_non_streamed_answer_is_logged_as_ollamas_499(gateway: GatewayProcess) -> None:
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "Tell a long story."}], "stream": False, "options": {"num_predict": 2000}}
    logged_before = len(gateway.log_path.read_text())
    with pytest.raises(httpx.TimeoutException):
        httpx.post(gateway.url + "/api/chat", json=body, timeout=1.0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        chats = [json.loads(line.split("stack.gateway.access ", 1)[1]) for line in gateway.log_path.read_text().splitlines()
                 if "stack.gateway.access" in line and '"/api/chat"' in line]
        if chats and chats[-1]["status"] == 499:
            break
        time.sleep(0.1)
    assert chats[-1]["status"] == 499
    assert "CancelledError" not in gateway.log_path.read_text()[logged_before:]
