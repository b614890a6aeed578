"""Reading both APIs' answers: first non-empty content, the server's counts and their source, errors."""

from __future__ import annotations

import json

from support.bench.measure import Batch, RequestRecord, RequestSpec, record_of
from support.bench.streams import Answer, read_line, read_message, request_body


def test_an_ndjson_stream_times_only_non_empty_content_and_takes_eval_count() -> None:
    answer = Answer()
    lines = [{"message": {"role": "assistant", "content": ""}, "done": False}, {"message": {"content": "Hi"}, "done": False},
             {"message": {"content": " there"}, "done": False}, {"message": {"content": ""}, "done": True, "eval_count": 7, "prompt_eval_count": 12}]
    for at, line in enumerate(lines):
        read_line("ollama-chat", json.dumps(line), float(at), answer)
    assert answer.content_times == [1.0, 2.0]
    assert answer.tokens() == (7, "eval_count")
    assert answer.prompt_tokens == 12 and answer.done


def test_an_sse_stream_skips_the_role_chunk_and_reads_usage() -> None:
    answer = Answer()
    events = ['data: {"choices":[{"delta":{"role":"assistant"}}]}', "", ": keep-alive", 'data: {"choices":[{"delta":{"content":"a"}}]}',
              'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}', 'data: {"choices":[],"usage":{"completion_tokens":3,"prompt_tokens":9}}',
              "data: [DONE]"]
    for at, line in enumerate(events):
        read_line("openai-chat", line, float(at), answer)
    assert answer.content_times == [3.0]
    assert answer.tokens() == (3, "usage")
    assert answer.done


def test_without_a_server_count_the_chunks_are_counted_and_said_so() -> None:
    answer = Answer()
    read_line("ollama-generate", '{"response":"x","done":false}', 0.0, answer)
    assert answer.tokens() == (1, "chunks")


def test_an_error_line_fails_the_request_and_is_kept() -> None:
    answer = Answer()
    read_line("ollama-chat", '{"message":{"content":"a"},"done":false}', 0.1, answer)
    read_line("ollama-chat", '{"error":"an error was encountered while running the model: unexpected EOF"}', 0.2, answer)
    spec = RequestSpec("ollama-chat", "m", "p", "short", 8)
    record = record_of(spec, Batch("t", "p", "sync"), 0.0, 0.0, answer, 200, 0.3)
    assert not record.ok and "unexpected EOF" in record.error


def test_a_whole_answer_is_read_once_with_its_counts() -> None:
    answer = Answer()
    read_message("openai-completions", {"choices": [{"text": "done", "finish_reason": "stop"}], "usage": {"completion_tokens": 4}}, 1.5, answer)
    assert answer.content_times == [1.5] and answer.tokens() == (4, "usage")


def test_request_bodies_ask_for_greedy_decoding_and_usage() -> None:
    assert request_body("ollama-chat", "m", "p", 8, True)["options"] == {"temperature": 0, "num_predict": 8}
    assert request_body("openai-chat", "m", "p", 8, True)["stream_options"] == {"include_usage": True}
    assert request_body("openai-completions", "m", "p", 8, False)["prompt"] == "p"


def test_a_record_survives_a_round_trip_through_a_csv_row() -> None:
    answer = Answer(content_times=[1.25, 1.5], output_tokens=2, token_source="eval_count", prompt_tokens=5)
    record = record_of(RequestSpec("ollama-chat", "m", "p", "short", 8), Batch("t", "synchronous", "sync"), 0.5, 1.0, answer, 200, 1.6)
    row = {key: str(value) for key, value in record.row().items()}
    again = RequestRecord.from_row(row)
    assert again.ok and again.ttft_s == record.ttft_s and again.dispatch_delay_s == 0.5
    assert again.chunk_offsets_s == [0.25, 0.5] and again.output_tokens == 2
