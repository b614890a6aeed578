"""The real gateway's OpenAI-compatible API: shapes, SSE framing and errors, as Ollama's compatibility layer gives them."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.slow


def sse(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = response.text.split("\n\n")
    assert frames[-1] == ""
    assert all(frame.startswith("data: ") for frame in frames[:-1])
    return [frame[len("data: ") :] for frame in frames[:-1]]


def test_models_list_and_retrieve(client: httpx.Client) -> None:
    listing = client.get("/v1/models")
    assert listing.headers["content-type"] == "application/json"
    ids = [entry["id"] for entry in listing.json()["data"]]
    assert ids == [entry["name"] for entry in client.get("/api/tags").json()["models"]]
    assert client.get("/v1/models/smollm2").json() == {**client.get("/v1/models/smollm2").json(), "id": "smollm2", "owned_by": "library", "object": "model"}


def test_the_model_named_default_is_the_gateways_default_model(client: httpx.Client) -> None:
    answer = client.post("/v1/chat/completions", json={"model": "default", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}).json()
    assert answer["model"] == "default" and answer["usage"]["completion_tokens"] == 2


def test_chat_completion_has_usage_and_fingerprint(client: httpx.Client) -> None:
    answer = client.post("/v1/chat/completions", json={"model": "smollm2", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "temperature": 0}).json()
    assert answer["object"] == "chat.completion" and answer["id"].startswith("chatcmpl-") and answer["system_fingerprint"] == "fp_ollama"
    assert answer["choices"][0]["finish_reason"] == "length" and answer["choices"][0]["message"]["role"] == "assistant"
    usage = answer["usage"]
    assert usage["completion_tokens"] == 5 and usage["total_tokens"] == usage["prompt_tokens"] + 5


def test_streamed_chat_frames_role_first_finish_then_usage_then_done(client: httpx.Client) -> None:
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}
    frames = sse(client.post("/v1/chat/completions", json=body))
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(frame) for frame in frames[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in chunk["choices"][0]["delta"] for chunk in chunks[1:-2])
    assert len({chunk["created"] for chunk in chunks}) == 1
    assert chunks[-2]["choices"] == [{"index": 0, "delta": {}, "finish_reason": "length"}]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 5
    assert all("usage" not in chunk for chunk in chunks[:-1])


def test_completions_stream_with_zero_usage_on_each_chunk(client: httpx.Client) -> None:
    whole = client.post("/v1/completions", json={"model": "smollm2", "prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}).json()
    assert whole["object"] == "text_completion" and whole["choices"][0]["text"] and whole["usage"]["completion_tokens"] == 4
    frames = sse(client.post("/v1/completions", json={"model": "smollm2", "prompt": "Once upon a time", "max_tokens": 4, "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}))
    chunks = [json.loads(frame) for frame in frames[:-1]]
    assert all(chunk["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0} for chunk in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4
    assert "".join(chunk["choices"][0]["text"] for chunk in chunks[:-1]) == whole["choices"][0]["text"]


def test_embeddings_in_float_and_base64(client: httpx.Client) -> None:
    floats = client.post("/v1/embeddings", json={"model": "all-minilm", "input": ["a", "b"]}).json()
    assert [entry["index"] for entry in floats["data"]] == [0, 1] and floats["usage"]["prompt_tokens"] > 0
    packed = client.post("/v1/embeddings", json={"model": "all-minilm", "input": "a", "encoding_format": "base64"}).json()
    assert isinstance(packed["data"][0]["embedding"], str)


@pytest.mark.parametrize(
    ("path", "body", "status", "kind", "message"),
    [
        ("/v1/chat/completions", {"model": "missing", "messages": [{"role": "user", "content": "x"}]}, 404, "not_found_error", "model 'missing' not found"),
        ("/v1/chat/completions", {"model": "smollm2", "messages": []}, 400, "invalid_request_error", "[] is too short - 'messages'"),
        ("/v1/chat/completions", "", 400, "invalid_request_error", "EOF"),
        ("/v1/completions", {"model": "smollm2", "prompt": ["a"]}, 400, "invalid_request_error", "json: cannot unmarshal array into Go struct field CompletionRequest.prompt of type string"),
        ("/v1/embeddings", {"model": "smollm2"}, 400, "invalid_request_error", "invalid input"),
        ("/v1/embeddings", {"model": "smollm2", "input": "a", "encoding_format": "hex"}, 400, "invalid_request_error", "Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64']."),
        ("/v1/chat/completions", {"model": "smollm2", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, 400, "invalid_request_error",
         "json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64"),
        ("/v1/chat/completions", {"model": "smollm2", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "x"}, 400, "invalid_request_error",
         'invalid reasoning value: "x" (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")'),
        ("/v1/chat/completions", {"model": "smollm2", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "high"}, 400, "invalid_request_error",
         '"smollm2" does not support thinking'),
    ],
)
def test_errors_have_the_openai_shape(client: httpx.Client, path: str, body: object, status: int, kind: str, message: str) -> None:
    response = client.post(path, content=body if isinstance(body, str) else json.dumps(body))
    assert response.status_code == status
    assert response.json() == {"error": {"message": message, "type": kind, "param": None, "code": None}}


def test_unknown_model_retrieve_is_a_404(client: httpx.Client) -> None:
    response = client.get("/v1/models/missing")
    assert response.status_code == 404 and response.json()["error"]["message"] == "model 'missing:latest' not found"
