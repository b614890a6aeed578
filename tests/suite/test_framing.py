"""NDJSON and SSE framing checks, including the framing mistakes clients break on."""

from __future__ import annotations

import pytest

from support import framing

GOOD_NDJSON = b'{"done":false}\n{"done":true}\n'
GOOD_SSE = b'data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n'


def test_good_ndjson_passes_and_parses() -> None:
    assert framing.ndjson_problems(GOOD_NDJSON) == []
    assert framing.parse_ndjson(GOOD_NDJSON) == [{"done": False}, {"done": True}]


def test_blank_ndjson_lines_are_rejected() -> None:
    assert framing.ndjson_problems(b'{"done":false}\n\n{"done":true}\n') == ["line 2 is blank"]


def test_sse_framing_on_a_native_endpoint_is_rejected() -> None:
    problems = framing.ndjson_problems(b'data: {"done":true}\n\n')
    assert "line 1 uses SSE framing" in problems[0]
    with pytest.raises(ValueError):
        framing.parse_ndjson(b'data: {"done":true}\n\n')


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "the stream is empty"),
        (b'{"done":true}', "the last line is not terminated by a newline"),
        (b"[1,2]\n", "line 1 is JSON but not an object"),
        (b"{oops\n", "line 1 is not JSON"),
    ],
)
def test_other_ndjson_mistakes_are_named(body: bytes, problem: str) -> None:
    assert any(p.startswith(problem) for p in framing.ndjson_problems(body))


def test_good_sse_passes_and_parses() -> None:
    assert framing.sse_problems(GOOD_SSE) == []
    assert framing.parse_sse_json(GOOD_SSE) == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'data: {"a":1}\n\n', "the last event is not data: [DONE]"),
        (b'{"a":1}\n{"a":2}\n', "event 1 has no data field"),
        (b'data: {"a":1}\n\ndata: [DONE]\n', "the stream does not end with a blank line"),
        (b"data: nope\n\ndata: [DONE]\n\n", "event 1 is not JSON"),
        (b"data: [DONE]\n\ndata: [DONE]\n\n", "[DONE] is sent more than once"),
    ],
)
def test_sse_mistakes_are_named(body: bytes, problem: str) -> None:
    assert any(p.startswith(problem) for p in framing.sse_problems(body))


def test_ndjson_sent_to_an_openai_client_is_rejected() -> None:
    assert framing.sse_problems(GOOD_NDJSON) != []
