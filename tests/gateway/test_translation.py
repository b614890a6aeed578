"""Unit tests: names, keep_alive, options, formats, templates, tool calls and error shapes."""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stack.gateway.durations import FOREVER, parse_keep_alive, parse_keep_alive_env
from stack.gateway.errors import GatewayError
from stack.gateway.framing import collect
from stack.gateway.middleware import is_local_host
from stack.gateway.names import parse_name
from stack.gateway.options import check_options, merged, parse_format, resolve_num_ctx, sampling_for
from stack.gateway.routes_openai import _finish_reason, _native_messages, _openai_tool_calls, _sampling_options, openai_error
from stack.gateway.service import Outcome
from stack.gateway.settings import from_environment, split_host_port
from stack.gateway.templates import CHATML_WITH_TOOLS, render_chat, render_go_template
from stack.gateway.timestamps import timestamp
from stack.gateway.toolcalls import ToolCallParser
from stack.gateway.validation import decode_body, typed


@pytest.mark.parametrize(
    ("raw", "short", "qualified"),
    [
        ("smollm2", "smollm2:latest", "registry.ollama.ai/library/smollm2:latest"),
        ("SmolLM2:135M", "SmolLM2:135M", "registry.ollama.ai/library/SmolLM2:135M"),
        ("myns/m:t", "myns/m:t", "registry.ollama.ai/myns/m:t"),
        ("myhost:5000/myns/m:t", "myhost:5000/myns/m:t", "myhost:5000/myns/m:t"),
    ],
)
def test_names_take_ollamas_defaults(raw: str, short: str, qualified: str) -> None:
    name = parse_name(raw)
    assert name is not None
    assert (name.short, name.qualified) == (short, qualified)


def test_names_match_case_insensitively() -> None:
    assert parse_name("SMOLLM2:135M").key == parse_name("smollm2:135m").key  # type: ignore[union-attr]


@pytest.mark.parametrize("raw", ["bad name!", "", "a/b/c/d", "m:", ":t"])
def test_invalid_names_are_rejected(raw: str) -> None:
    assert parse_name(raw) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(None, None), (42, 42.0), (42.5, 42.5), ("5m", 300.0), ("1h30m", 5400.0), ("0", 0.0), ("0s", 0.0), (0, 0.0),
     (-1, FOREVER), ("-1m", FOREVER), (-3.14, FOREVER)],
)
def test_keep_alive_parses_like_ollama(value: object, seconds: float | None) -> None:
    assert parse_keep_alive(value) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [("300", 'time: missing unit in duration "300"'), ("abc", 'time: invalid duration "abc"'), (True, "Unsupported type: 'bool'")],
)
def test_bad_keep_alive_is_a_400_with_gos_text(value: object, message: str) -> None:
    with pytest.raises(GatewayError) as caught:
        parse_keep_alive(value)
    assert (caught.value.status, caught.value.message) == (400, message)


def test_environment_keep_alive_also_takes_plain_seconds() -> None:
    assert parse_keep_alive_env("300") == 300.0
    assert parse_keep_alive_env("-1") == FOREVER


def test_options_ignore_unknown_keys_and_convert_numbers() -> None:
    assert check_options({"num_predict": 5.9, "temperature": 0, "mirostat": 2, "seed": None}) == {"num_predict": 5, "temperature": 0.0}


@pytest.mark.parametrize(
    ("options", "message"),
    [({"temperature": "hot"}, 'option "temperature" must be of type float32'),
     ({"num_predict": "5"}, 'option "num_predict" must be of type integer'),
     ({"stop": "\n"}, 'option "stop" must be of type array'),
     ({"stop": [1]}, 'option "stop" must be of an array of strings'),
     ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean')],
)
def test_wrongly_typed_options_are_a_500_as_in_ollama(options: dict[str, object], message: str) -> None:
    with pytest.raises(GatewayError) as caught:
        check_options(options)
    assert (caught.value.status, caught.value.message) == (500, message)


def test_num_ctx_precedence_and_clamping() -> None:
    assert resolve_num_ctx({"num_ctx": 100}, {"num_ctx": 200}, 300, 8192) == 100
    assert resolve_num_ctx({}, {"num_ctx": 200}, 300, 8192) == 200
    assert resolve_num_ctx({}, {}, 300, 8192) == 300
    assert resolve_num_ctx({}, {}, 0, 8192) == 4096
    assert resolve_num_ctx({"num_ctx": 100000}, {}, 0, 8192) == 8192
    assert resolve_num_ctx({"num_ctx": 1}, {}, 0, 8192) == 4


def test_sampling_never_runs_past_the_context_window() -> None:
    options = merged({}, {"num_predict": 500, "temperature": 0})
    assert sampling_for(options, num_ctx=128, prompt_tokens=100, json_schema=None).max_tokens == 28
    assert sampling_for(merged({}, {}), num_ctx=128, prompt_tokens=100, json_schema=None).max_tokens == 28
    assert sampling_for(options, num_ctx=4096, prompt_tokens=10, json_schema=None).max_tokens == 500


def test_format_accepts_json_and_schemas_and_rejects_the_rest() -> None:
    assert parse_format(None) is None
    assert parse_format("") is None
    assert parse_format("json") == {"type": "object"}
    assert parse_format({"type": "object"}) == {"type": "object"}
    with pytest.raises(GatewayError) as caught:
        parse_format("xml")
    assert caught.value.status == 500
    assert caught.value.message == 'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object'


def test_bodies_decode_like_go() -> None:
    with pytest.raises(GatewayError, match="missing request body"):
        decode_body(b"  ")
    with pytest.raises(GatewayError, match="unexpected EOF"):
        decode_body(b'{"model":')
    with pytest.raises(GatewayError, match="invalid character 'x' looking for beginning of value"):
        decode_body(b"x")
    assert decode_body(b'{"a":1} {"b":2}') == {"a": 1}
    with pytest.raises(GatewayError, match=r"cannot unmarshal number into Go struct field GenerateRequest\.prompt of type string"):
        typed({"prompt": 1}, "GenerateRequest", "prompt", "string")
    with pytest.raises(GatewayError, match=r"cannot unmarshal string into Go struct field ChatRequest\.stream of type bool"):
        typed({"stream": "false"}, "ChatRequest", "stream", "bool")
    assert typed({"stream": None}, "ChatRequest", "stream", "bool") is None


def test_go_template_subset_renders_generate_overrides() -> None:
    template = "{{ if .System }}S:{{ .System }} {{ end }}U:{{ .Prompt }} \n {{- .Response }} A:"
    assert render_go_template(template, {"System": "be brief", "Prompt": "hi"}) == "S:be brief U:hi A:"
    assert render_go_template(template, {"System": "", "Prompt": "hi"}) == "U:hi A:"
    with pytest.raises(GatewayError):
        render_go_template("{{ range .Messages }}x{{ end }}", {})


def test_chat_template_keeps_the_system_prompt_and_lists_tools() -> None:
    rendered = render_chat(CHATML_WITH_TOOLS, [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    assert rendered == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    with_tools = render_chat(CHATML_WITH_TOOLS, [{"role": "user", "content": "U"}], [tool])
    assert "<tools>" in with_tools and '"get_weather"' in with_tools


def test_tool_calls_are_split_from_content_across_chunk_boundaries() -> None:
    parser = ToolCallParser()
    shown = []
    calls = []
    for piece in ["Sure. <tool", '_call>\n{"name": "get_weather", "argu', 'ments": {"location": "Boston"}}\n</tool_call>', " done"]:
        text, completed = parser.feed(piece)
        shown.append(text)
        calls.extend(completed)
    shown.append(parser.finish())
    assert "".join(shown) == "Sure.  done"
    assert _without_ids(calls) == [{"function": {"index": 0, "name": "get_weather", "arguments": {"location": "Boston"}}}]


def _without_ids(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert all(re.fullmatch(r"call_[a-z0-9]{8}", call["id"]) for call in calls), calls
    return [{key: value for key, value in call.items() if key != "id"} for call in calls]


def test_every_tool_call_gets_an_id_of_its_own_as_ollama_makes_them() -> None:
    parser = ToolCallParser()
    call = '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
    _, calls = parser.feed(call * 3)
    assert [c["function"]["index"] for c in _without_ids(calls)] == [0, 1, 2]
    assert len({c["id"] for c in calls}) == 3


@pytest.mark.parametrize("written", ["<tool_call>not json</tool_call>", "<tool_call>{name: f, arguments: {x: 1}</tool_call>",
                                     '<tool_call>{"name": "f", "arguments": {'])
def test_a_malformed_tool_call_is_dropped_as_ollama_drops_it(written: str) -> None:
    parser = ToolCallParser()
    text, calls = parser.feed("Before. " + written)
    assert (text + parser.finish(), calls, parser.calls) == ("Before. ", [], [])


def test_openai_tool_calls_keep_the_native_id_and_index() -> None:
    native = [{"id": "call_abcd1234", "function": {"index": 1, "name": "f", "arguments": {"x": 1}}}]
    assert _openai_tool_calls(native) == [{"id": "call_abcd1234", "index": 1, "type": "function",
                                           "function": {"name": "f", "arguments": '{"x": 1}'}}]


@pytest.mark.parametrize(("done_reason", "had_calls", "finish"), [("stop", True, "tool_calls"), ("length", True, "length"),
                                                                   ("stop", False, "stop"), ("length", False, "length")])
def test_length_wins_over_tool_calls_in_the_finish_reason(done_reason: str, had_calls: bool, finish: str) -> None:
    assert _finish_reason(done_reason, had_calls) == finish


def test_openai_errors_map_statuses_to_types() -> None:
    for status, kind in [(400, "invalid_request_error"), (404, "not_found_error"), (500, "api_error"), (503, "api_error")]:
        body = json.loads(bytes(openai_error(GatewayError(status, "m")).body))
        assert body == {"error": {"message": "m", "type": kind, "param": None, "code": None}}


def test_openai_defaults_follow_ollamas_compatibility_layer() -> None:
    assert _sampling_options({}, completions=False) == {"temperature": 1.0, "top_p": 1.0}
    assert _sampling_options({"max_tokens": 5, "stop": "x", "top_p": 0}, completions=True) == {
        "temperature": 1.0, "top_p": 1.0, "num_predict": 5, "stop": ["x"], "frequency_penalty": 0.0, "presence_penalty": 0.0}
    with pytest.raises(GatewayError, match="invalid type for 'stop' field: float64"):
        _sampling_options({"stop": ["a", 1]}, completions=True)


def test_openai_messages_become_native_messages() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    ]
    native = _native_messages(messages)
    assert [m["content"] for m in native] == ["a", "b", "", "42"]
    assert native[2]["tool_calls"][0]["function"]["arguments"] == {"x": 1}
    assert native[3]["tool_name"] == "f"
    with pytest.raises(GatewayError, match="image URLs are not currently supported"):
        _native_messages([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}])


def test_timestamps_are_rfc3339_utc_with_trimmed_fractions() -> None:
    import datetime as dt

    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=dt.UTC)
    assert timestamp(moment) == "2026-01-02T03:04:05.12Z"
    assert timestamp(moment.replace(microsecond=0)) == "2026-01-02T03:04:05Z"


def test_final_metrics_omit_zero_values() -> None:
    outcome = Outcome("stop", prompt_eval_count=0, prompt_eval_duration=0, eval_count=3, eval_duration=10, load_duration=1, total_duration=20)
    assert outcome.metrics() == {"total_duration": 20, "load_duration": 1, "eval_count": 3, "eval_duration": 10}


async def _chunks(*chunks: dict[str, object]) -> AsyncIterator[dict[str, object]]:
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize("tools", [True, False])
def test_non_streamed_chat_aggregates_tool_calls_only_when_tools_were_sent(tools: bool) -> None:
    import asyncio

    call = {"function": {"index": 0, "name": "f", "arguments": {}}}
    stream = _chunks({"message": {"role": "assistant", "content": "a"}, "done": False},
                     {"message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False},
                     {"message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"})

    async def run() -> dict[str, object]:
        first = await anext(stream)
        return await collect(first, stream, "chat", keep_tool_calls=tools)

    answer = asyncio.run(run())
    assert answer["message"] == ({"role": "assistant", "content": "a", "tool_calls": [call]} if tools else {"role": "assistant", "content": "a"})
    assert answer["done_reason"] == "stop"


def test_settings_follow_ollamas_environment() -> None:
    settings = from_environment([], {"OLLAMA_HOST": "0.0.0.0:9999", "OLLAMA_KEEP_ALIVE": "10m", "OLLAMA_NUM_PARALLEL": "2",
                                      "OLLAMA_MAX_QUEUE": "7", "OLLAMA_CONTEXT_LENGTH": "2048", "OLLAMA_ORIGINS": "http://a.example, app://x"})
    assert (settings.host, settings.port, settings.keep_alive, settings.num_parallel, settings.max_queue, settings.context_length) == (
        "0.0.0.0", 9999, 600.0, 2, 7, 2048)
    assert settings.origins == ("http://a.example", "app://x")
    assert not settings.loopback
    assert split_host_port("http://[::1]:8080/") == ("::1", 8080)
    assert split_host_port("example") == ("example", 11434)


@pytest.mark.parametrize(("host", "local"), [("localhost:11434", True), ("127.0.0.1", True), ("10.0.0.2:80", True), ("box.local", True),
                                             ("[::1]:11434", True), ("evil.example", False), ("8.8.8.8", False)])
def test_host_check_follows_ollamas_rule(host: str, local: bool) -> None:
    assert is_local_host(host) is local


def test_normalised_vectors_have_unit_length() -> None:
    from stack.gateway.embeddings import _normalise

    vector = _normalise([3.0, 4.0])
    assert math.isclose(math.hypot(*vector), 1.0)


def test_a_failure_after_the_first_chunk_becomes_a_final_error_line() -> None:
    import asyncio

    from starlette.requests import Request
    from starlette.responses import StreamingResponse

    from stack.gateway.framing import ndjson_stream

    async def failing() -> AsyncIterator[dict[str, object]]:
        yield {"model": "m", "response": "b", "done": False}
        raise GatewayError(500, "engine failed")

    async def run() -> bytes:
        request = Request({"type": "http", "method": "POST", "path": "/api/generate", "headers": []})
        rest = failing()
        response = await ndjson_stream(request, {"model": "m", "response": "a", "done": False}, rest)
        assert isinstance(response, StreamingResponse)
        return b"".join([bytes(chunk) if not isinstance(chunk, str) else chunk.encode() async for chunk in response.body_iterator])

    lines = asyncio.run(run()).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"model": "m", "response": "a", "done": False},
                                                    {"model": "m", "response": "b", "done": False},
                                                    {"error": "engine failed"}]


def test_an_answer_that_is_only_a_call_to_a_declared_tool_becomes_a_tool_call() -> None:
    parser = ToolCallParser(frozenset({"get_weather"}))
    shown = [parser.feed(piece)[0] for piece in [" ", '{"name": "get_weather",', ' "arguments": {"location": "Boston"}}']]
    assert "".join(shown) == "" and parser.finish() == ""
    assert _without_ids(parser.calls) == [{"function": {"index": 0, "name": "get_weather", "arguments": {"location": "Boston"}}}]


def test_json_that_names_no_declared_tool_stays_content() -> None:
    parser = ToolCallParser(frozenset({"get_weather"}))
    parser.feed('{"name": "other", "arguments": {}}')
    assert parser.finish() == '{"name": "other", "arguments": {}}' and parser.calls == []
