"""The Responses and Messages translations, zstd bodies and /api/status: pure functions and the app in-process, no model."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from starlette.testclient import TestClient

from stack.gateway import routes_anthropic, routes_responses
from stack.gateway.app import create_app
from stack.gateway.errors import GatewayError
from stack.gateway.routes_status import cloud_policy
from stack.gateway.settings import Settings
from stack.gateway.zstd_bodies import decompress

Chunk = dict[str, Any]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The real application on an empty store: every inference request stops at the model lookup."""
    app = create_app(Settings(models_dir=tmp_path, bundled=frozenset()))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as session:
        yield session


def _chunks(*texts: str, done_reason: str = "stop", calls: list[Chunk] | None = None) -> tuple[Chunk, AsyncIterator[Chunk]]:
    pieces: list[Chunk] = [{"message": {"role": "assistant", "content": text}, "done": False} for text in texts]
    if calls:
        pieces.append({"message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False})
    pieces.append({"message": {"role": "assistant", "content": ""}, "done": True, "done_reason": done_reason, "prompt_eval_count": 7, "eval_count": 3})

    async def rest() -> AsyncIterator[Chunk]:
        for piece in pieces[1:]:
            yield piece

    return pieces[0], rest()


def _collect(events: AsyncIterator[Chunk]) -> list[Chunk]:
    async def gather() -> list[Chunk]:
        return [event async for event in events]

    return asyncio.run(gather())


# -- /v1/responses ---------------------------------------------------------------------------------


def test_instructions_and_a_string_input_become_a_system_and_a_user_message() -> None:
    native = routes_responses.native_chat({"model": "m", "instructions": "Be brief.", "input": "Hi"})
    assert native["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert native["options"] == {"temperature": 1.0}


def test_items_become_messages_a_tool_call_and_its_result() -> None:
    items = [
        {"role": "developer", "content": "Use tools."},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in "}, {"type": "input_text", "text": "Paris?"}]},
        {"type": "reasoning", "summary": [], "encrypted_content": "I should call the tool."},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
    ]
    messages = routes_responses.input_messages(items)
    assert messages == [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "thinking": "I should call the tool.",
         "tool_calls": [{"id": "call_1", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1", "tool_name": "get_weather"},
    ]


def test_options_format_and_tools_are_translated() -> None:
    body = {"model": "m", "input": "x", "temperature": 0, "top_p": 0.5, "max_output_tokens": 4,
            "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object"}}},
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}, {"type": "web_search"}]}
    native = routes_responses.native_chat(body)
    assert native["options"] == {"temperature": 0, "top_p": 0.5, "num_predict": 4}
    assert native["format"] == {"type": "object"}
    assert native["tools"] == [{"type": "function", "function": {"name": "f", "description": "", "parameters": {"type": "object"}}}]


@pytest.mark.parametrize(("body", "message"), [
    ({"input": 1}, "input must be a string or array: 1"),
    ({"input": [{"content": "x"}]}, "input item missing required 'type' field"),
    ({"input": [{"type": "x"}]}, 'unknown input item type: "x"'),
    ({"input": [{"role": "user", "content": [{"type": "input_file"}]}]}, "file inputs are not currently supported"),
    ({"reasoning": {"effort": "x"}}, 'invalid reasoning value: "x"'),
    ({"temperature": "hot"}, "json: cannot unmarshal string into Go struct field ResponsesRequest.temperature of type float64"),
])
def test_bad_responses_requests_are_400s(body: dict[str, Any], message: str) -> None:
    with pytest.raises(GatewayError) as refused:
        routes_responses.native_chat({"model": "m", **body})
    assert refused.value.status == 400 and refused.value.message.startswith(message)


def test_a_budget_cut_answer_is_still_completed_and_tool_calls_replace_the_text() -> None:
    final = {"message": {"content": "text", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}, "prompt_eval_count": 5, "eval_count": 2}
    output = routes_responses.output_items("resp_1", final)
    assert [item["type"] for item in output] == ["function_call"]
    assert output[0]["id"] == "fc_resp_1_0" and json.loads(output[0]["arguments"]) == {"a": 1}
    assert routes_responses.usage_of(final)["total_tokens"] == 7


def test_streamed_events_are_numbered_from_zero_in_ollamas_order() -> None:
    first, rest = _chunks("Hel", "lo")
    events = _collect(routes_responses.stream_events("resp_1", {"model": "m"}, 0, first, rest))
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    assert [event["type"] for event in events] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed",
    ]
    completed = events[-1]["response"]
    assert completed["status"] == "completed" and completed["usage"]["input_tokens"] == 7
    assert completed["output"][0]["content"][0]["text"] == "Hello"


def test_a_streamed_tool_call_is_one_item_with_its_whole_arguments() -> None:
    first, rest = _chunks(calls=[{"function": {"name": "f", "arguments": {"a": 1}}}])
    events = _collect(routes_responses.stream_events("resp_1", {"model": "m"}, 0, first, rest))
    kinds = [event["type"] for event in events]
    assert kinds[2:6] == ["response.output_item.added", "response.function_call_arguments.delta",
                          "response.function_call_arguments.done", "response.output_item.done"]
    assert events[3]["delta"] == '{"a": 1}'


# -- /v1/messages ----------------------------------------------------------------------------------


def test_system_blocks_join_and_tool_results_come_before_the_turns_text() -> None:
    body = {"model": "m", "max_tokens": 5, "system": [{"type": "text", "text": "A"}, {"type": "text", "text": "B", "cache_control": {}}],
            "messages": [
                {"role": "User", "content": "Hi"},
                {"role": "assistant", "content": [{"type": "text", "text": "Calling."}, {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}]},
                {"role": "user", "content": [{"type": "text", "text": "Thanks"}, {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "ok"}]},
                                             {"type": "document", "source": {}}]},
            ]}
    native = routes_anthropic.native_chat(body)
    assert native["messages"] == [
        {"role": "system", "content": "AB"},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Calling.", "tool_calls": [{"id": "t1", "function": {"name": "f", "arguments": {"a": 1}}}]},
        {"role": "tool", "content": "ok", "tool_call_id": "t1", "tool_name": "f"},
        {"role": "user", "content": "Thanks"},
    ]
    assert native["options"] == {"num_predict": 5}


def test_sampling_options_and_stop_sequences_pass_only_when_sent() -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "temperature": 0, "top_k": 1, "stop_sequences": ["\n"]}
    assert routes_anthropic.native_chat(body)["options"] == {"num_predict": 5, "temperature": 0, "top_k": 1, "stop": ["\n"]}


@pytest.mark.parametrize(("body", "message"), [
    ({"model": ""}, "model is required"),
    ({"max_tokens": 0}, "max_tokens is required and must be positive"),
    ({"messages": []}, "messages is required"),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url"}}]}]}, "invalid image source type: url. Only base64 images are supported."),
    ({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]}]}, "tool_use block missing required 'name' field"),
])
def test_bad_messages_requests_are_400s(body: dict[str, Any], message: str) -> None:
    with pytest.raises(GatewayError) as refused:
        routes_anthropic.native_chat({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}], **body})
    assert refused.value.status == 400 and refused.value.message == message


@pytest.mark.parametrize(("done_reason", "calls", "expected"), [
    ("stop", False, "end_turn"), ("length", False, "max_tokens"), ("stop", True, "tool_use"), ("load", False, "stop_sequence"), ("", False, None),
])
def test_stop_reasons_are_mapped_as_ollama_maps_them(done_reason: str, calls: bool, expected: str | None) -> None:
    assert routes_anthropic.stop_reason(done_reason, calls) == expected


def test_streamed_blocks_start_empty_and_message_delta_carries_the_usage() -> None:
    first, rest = _chunks("Hi", done_reason="length", calls=[{"function": {"name": "f", "arguments": {"a": 1}}}])
    events = _collect(routes_anthropic.stream_events("msg_1", "m", 2, first, rest))
    assert [event["type"] for event in events] == [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]
    assert events[1]["content_block"] == {"type": "text", "text": ""}
    assert events[4]["content_block"]["input"] == {} and events[4]["index"] == 1
    assert events[5]["delta"] == {"type": "input_json_delta", "partial_json": '{"a": 1}'}
    assert events[7] == {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"input_tokens": 7, "output_tokens": 3}}


def test_an_empty_answer_has_an_empty_content_list() -> None:
    message = routes_anthropic.message_object("msg_1", "m", {"message": {"content": ""}, "done_reason": "stop"})
    assert message["content"] == [] and message["stop_reason"] == "end_turn" and message["stop_sequence"] is None


# -- routes in-process -----------------------------------------------------------------------------


def test_messages_errors_use_anthropics_envelope(client: TestClient) -> None:
    missing = client.post("/v1/messages?beta=true", json={"model": "absent", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]})
    assert missing.status_code == 404
    body = missing.json()
    assert body["type"] == "error" and body["error"] == {"type": "not_found_error", "message": "model 'absent' not found"}
    assert body["request_id"].startswith("req_")
    counted = client.post("/v1/messages/count_tokens", json={"model": "absent", "messages": [{"role": "user", "content": "x"}]})
    assert counted.status_code == 404 and counted.json()["error"]["type"] == "not_found_error"


def test_responses_errors_use_openais_envelope(client: TestClient) -> None:
    missing = client.post("/v1/responses", json={"model": "absent", "input": "x"})
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"


def test_zstd_bodies_are_decompressed_on_v1_routes(client: TestClient) -> None:
    packed = zstandard.ZstdCompressor().compress(json.dumps({"model": "absent", "input": "x"}).encode())
    answered = client.post("/v1/responses", content=packed, headers={"Content-Encoding": "zstd"})
    assert answered.status_code == 404 and answered.json()["error"]["message"] == "model 'absent' not found"
    broken = client.post("/v1/chat/completions", content=b'{"model": "x"}', headers={"Content-Encoding": "zstd"})
    assert broken.status_code == 400 and broken.content == b'{"error":"failed to decompress request body"}'


def test_decompression_is_capped() -> None:
    packed = zstandard.ZstdCompressor().compress(b" " * 1000)
    assert decompress(packed) == b" " * 1000
    with pytest.raises(ValueError):
        decompress(packed, limit=10)


def test_status_reports_cloud_disabled(client: TestClient) -> None:
    assert client.get("/api/status").json() == {"cloud": {"disabled": True, "source": "none"}}
    assert cloud_policy({"OLLAMA_NO_CLOUD": "1"}) == {"cloud": {"disabled": True, "source": "env"}}


@pytest.mark.parametrize(("headers", "allowed"), [
    ("content-type, x-stainless-os, x-stainless-retry-count, openai-beta", True),
    ("content-type, x-api-key, anthropic-version", True),
    ("content-type, x-custom-header", False),
])
def test_preflights_allow_ollamas_headers_and_anthropics(client: TestClient, headers: str, allowed: bool) -> None:
    answer = client.options("/v1/messages", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": headers})
    assert (answer.status_code == 200) is allowed, answer.text
