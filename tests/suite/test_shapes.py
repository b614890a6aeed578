"""The shape checks accept Ollama's real shapes and reject known parity mistakes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from support import shapes

DIGEST = "ab" * 32
DETAILS = {
    "parent_model": "",
    "format": "gguf",
    "family": "llama",
    "families": None,
    "parameter_size": "135M",
    "quantization_level": "Q4_1",
}
TAGS_ENTRY = {
    "name": "smollm2:135m",
    "model": "smollm2:135m",
    "modified_at": "2026-11-24T01:00:00.123456789+01:00",
    "size": 98_000_000,
    "digest": DIGEST,
    "details": DETAILS,
}
CHAT_CHUNK = {
    "model": "smollm2:135m",
    "created_at": "2026-11-24T01:00:00.5Z",
    "message": {"role": "assistant", "content": "The"},
    "done": False,
}
CHAT_FINAL = {
    "model": "smollm2:135m",
    "created_at": "2026-11-24T01:00:01Z",
    "message": {"role": "assistant", "content": ""},
    "done": True,
    "done_reason": "stop",
    "total_duration": 900_000_000,
    "load_duration": 10_000_000,
    "prompt_eval_count": 12,
    "prompt_eval_duration": 100_000_000,
    "eval_count": 16,
    "eval_duration": 700_000_000,
}


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy with one dotted path set, or removed when value is ``...``."""
    result = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = result
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return result


def test_real_shapes_pass() -> None:
    assert shapes.shape_problems(TAGS_ENTRY, shapes.TAGS_ENTRY) == []
    assert shapes.shape_problems(CHAT_CHUNK, shapes.CHAT_CHUNK) == []
    assert shapes.shape_problems(CHAT_FINAL, shapes.CHAT_FINAL) == []
    assert shapes.stream_problems([CHAT_CHUNK, CHAT_FINAL], shapes.CHAT_CHUNK, shapes.CHAT_FINAL) == []


def test_an_empty_thinking_field_is_rejected() -> None:
    chunk = changed(CHAT_CHUNK, "message.thinking", "")
    assert any("message.thinking" in p for p in shapes.shape_problems(chunk, shapes.CHAT_CHUNK))


def test_a_non_empty_thinking_field_is_accepted() -> None:
    chunk = changed(CHAT_CHUNK, "message.thinking", "Let me think.")
    assert shapes.shape_problems(chunk, shapes.CHAT_CHUNK) == []


def test_tool_arguments_as_a_string_are_rejected() -> None:
    call = {"function": {"index": 0, "name": "get_weather", "arguments": '{"location": "Boston"}'}}
    final = changed(CHAT_FINAL, "message.tool_calls", [call])
    problems = shapes.shape_problems(final, shapes.CHAT_FINAL)
    assert any("message.tool_calls[0].function.arguments should be an object" in p for p in problems)


def test_tool_arguments_as_an_object_are_accepted() -> None:
    call = {"function": {"index": 0, "name": "get_weather", "arguments": {"location": "Boston"}}}
    assert shapes.shape_problems(changed(CHAT_FINAL, "message.tool_calls", [call]), shapes.CHAT_FINAL) == []


def test_a_tags_entry_without_model_is_rejected() -> None:
    problems = shapes.shape_problems(changed(TAGS_ENTRY, "model", ...), shapes.TAGS_ENTRY)
    assert problems == ["tags entry: model is missing (a string expected)"]


@pytest.mark.parametrize("digest", ["sha256:" + DIGEST, "abc", DIGEST.upper()])
def test_a_digest_not_in_ollama_form_is_rejected(digest: str) -> None:
    assert shapes.shape_problems(changed(TAGS_ENTRY, "digest", digest), shapes.TAGS_ENTRY) != []


def test_a_tags_entry_with_expires_at_is_rejected() -> None:
    entry = changed(TAGS_ENTRY, "expires_at", "2026-11-24T01:05:00Z")
    assert shapes.shape_problems(entry, shapes.TAGS_ENTRY) != []


def test_created_at_must_be_utc() -> None:
    chunk = changed(CHAT_CHUNK, "created_at", "2026-11-24T01:00:00+01:00")
    assert shapes.shape_problems(chunk, shapes.CHAT_CHUNK) != []


def test_a_zero_metric_is_rejected_because_ollama_omits_it() -> None:
    final = changed(CHAT_FINAL, "prompt_eval_duration", 0)
    assert any("omits it when empty" in p for p in shapes.shape_problems(final, shapes.CHAT_FINAL))


def test_metrics_before_the_last_chunk_are_rejected() -> None:
    chunk = changed(CHAT_CHUNK, "eval_count", 3)
    assert shapes.shape_problems(chunk, shapes.CHAT_CHUNK) != []


def test_a_stream_whose_last_chunk_is_not_done_is_rejected() -> None:
    problems = shapes.stream_problems([CHAT_CHUNK, CHAT_CHUNK], shapes.CHAT_CHUNK, shapes.CHAT_FINAL)
    assert "last chunk: done should be true" in problems


def test_durations_in_seconds_are_rejected() -> None:
    in_seconds = {**CHAT_FINAL, "total_duration": 1, "eval_duration": 1, "prompt_eval_duration": 0}
    problems = shapes.duration_problems(in_seconds, wall_clock_s=1.2)
    assert any("not nanoseconds" in p for p in problems)


def test_fractional_durations_are_rejected() -> None:
    problems = shapes.duration_problems({**CHAT_FINAL, "total_duration": 0.9}, wall_clock_s=1.0)
    assert any("integer nanoseconds" in p for p in problems)
    assert shapes.shape_problems({**CHAT_FINAL, "total_duration": 0.9}, shapes.CHAT_FINAL) != []


def test_durations_longer_than_the_wait_are_rejected() -> None:
    problems = shapes.duration_problems(CHAT_FINAL, wall_clock_s=0.5)
    assert any("longer than" in p for p in problems)


def test_nanosecond_durations_within_the_wait_pass() -> None:
    assert shapes.duration_problems(CHAT_FINAL, wall_clock_s=1.0) == []


@pytest.mark.parametrize("version", ["0.6.4", "0.33.0", "1.0"])
def test_recent_numeric_versions_are_accepted(version: str) -> None:
    assert shapes.version_problems(version) == []


@pytest.mark.parametrize("version", ["0.6.3", "0.5.12", "0.0.0"])
def test_a_version_below_0_6_4_is_rejected(version: str) -> None:
    assert any("below 0.6.4" in p for p in shapes.version_problems(version))


@pytest.mark.parametrize("version", ["v0.33.0", "0.33.0-rc2", "0.33.0+build", "", None, 33])
def test_a_version_clients_cannot_parse_is_rejected(version: Any) -> None:
    assert any("not purely numeric" in p for p in shapes.version_problems(version))


def test_openai_tool_arguments_must_be_a_string() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "system_fingerprint": "fp_ollama",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    problems = shapes.shape_problems(completion, shapes.CHAT_COMPLETION)
    assert problems == ["chat completion: choices[0].message.tool_calls[0].function.arguments should be a string, got {'a': 1}"]


def test_openai_errors_need_null_param_and_code() -> None:
    error = {"error": {"message": "x", "type": "api_error", "param": "model", "code": None}}
    assert shapes.shape_problems(error, shapes.OPENAI_ERROR) != []


def test_a_listing_checks_every_entry() -> None:
    listing = {"models": [TAGS_ENTRY, changed(TAGS_ENTRY, "model", ...)]}
    assert shapes.listing_problems(listing, shapes.TAGS, shapes.TAGS_ENTRY) == ["tags entry: model is missing (a string expected)"]
    assert shapes.listing_problems({"models": None}, shapes.TAGS, shapes.TAGS_ENTRY) == ["tags: models should be an array, got None"]
