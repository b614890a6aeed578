"""The answer's leading whitespace, which mistral.rs's chat API strips, is taken back from the token's own bytes."""

from __future__ import annotations

from dataclasses import dataclass

from stack.gateway.engines.mistralrs import _leading


@dataclass
class Logprob:
    bytes: bytes | None


def test_a_stripped_line_break_or_space_comes_back_from_the_token() -> None:
    assert _leading("", Logprob(b"\n")) == "\n"
    assert _leading("The", Logprob(b" The")) == " The"


def test_text_the_token_does_not_explain_is_left_as_the_engine_sent_it() -> None:
    assert _leading("The", Logprob(b"The")) == "The"
    assert _leading("The", Logprob(b"xThe")) == "The"
    assert _leading("The", Logprob(None)) == "The"
    assert _leading("The", None) == "The"
    assert _leading("", Logprob(b"\xe2\x82")) == ""
