"""Stop strings are found in the text wherever the engine's tokens split it."""

from __future__ import annotations

import pytest

from stack.gateway.stops import StopScanner


def scan(stops: list[str], pieces: list[str]) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    sent = "".join(scanner.feed(piece) for piece in pieces)
    return (sent if scanner.stopped else sent + scanner.flush()), scanner.stopped


@pytest.mark.parametrize("pieces", [
    ["The answer to this question"],
    ["The answer to", " this question"],
    ["The answer to th", "is question"],
    ["The answer to t", "h", "i", "s question"],
])
def test_the_answer_ends_before_the_stop_string_however_the_tokens_split_it(pieces: list[str]) -> None:
    assert scan(["this"], pieces) == ("The answer to ", True)


def test_a_tail_that_only_looked_like_a_stop_string_is_sent_in_the_end() -> None:
    assert scan(["this"], ["The answer to th", "e question"]) == ("The answer to the question", False)
    assert scan(["this"], ["ends with th"]) == ("ends with th", False)


def test_the_earliest_of_several_stop_strings_wins() -> None:
    assert scan(["question", "answer"], ["The answer to this question"]) == ("The ", True)


def test_without_stop_strings_everything_passes_at_once() -> None:
    scanner = StopScanner([])
    assert scanner.feed("th") == "th" and not scanner.stopped
