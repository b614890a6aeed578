"""Log probabilities and the context window's switches: the gateway's pieces and the suite's own checks.

The checks in support/logprobs.py are what the logprobs features rely on; each is shown here to reject an answer
that gets its detail wrong, so a scenario that passes means the detail was right.
"""

from __future__ import annotations

from typing import Any

from stack.gateway.engines import Piece, TokenLogprob
from stack.gateway.engines.wire import event_from_wire, event_to_wire
from stack.gateway.options import DEFAULT_NUM_CTX, default_num_ctx, resolve_num_ctx
from stack.gateway.service import Controls
from support.logprobs import entry_problems, greedy_problems, joined_text
from support.window import expected_default_window

GIB = 1 << 30


def _entry(token: str, logprob: float, top: list[tuple[str, float]]) -> dict[str, Any]:
    return TokenLogprob.of(token.encode(), logprob, tuple(TokenLogprob.of(t.encode(), p) for t, p in top)).to_json()


GOOD = [_entry("The", -0.1, [("The", -0.1), ("A", -2.5)]), _entry(" sky", -0.3, [(" sky", -0.3), (" sun", -1.9)])]


def test_a_well_formed_answer_passes_every_check() -> None:
    assert entry_problems(GOOD, 2) == []
    assert greedy_problems(GOOD) == []
    assert joined_text(GOOD) == "The sky"


def test_the_checks_reject_each_wrong_detail() -> None:
    unsorted = [_entry("The", -0.1, [("A", -2.5), ("The", -0.1)])]
    assert any("not sorted" in problem for problem in entry_problems(unsorted, 2))
    assert greedy_problems(unsorted)
    positive = [{**GOOD[0], "logprob": 0.5}]
    assert any("at most 0" in problem for problem in entry_problems(positive, 2))
    wrong_bytes = [{**GOOD[0], "bytes": [84]}]
    assert any("decode" in problem for problem in entry_problems(wrong_bytes, 2))
    assert any("expected 3 alternatives" in problem for problem in entry_problems(GOOD, 3))
    assert any("none were asked for" in problem for problem in entry_problems(GOOD, 0))
    not_chosen = [_entry(" sun", -1.9, [(" sky", -0.3), (" sun", -1.9)])]
    assert greedy_problems(not_chosen)


def test_half_a_character_joins_by_bytes() -> None:
    first, second = "é".encode()[:1], "é".encode()[1:]
    entries = [TokenLogprob.of(first, -0.2).to_json(), TokenLogprob.of(second, -0.1).to_json()]
    assert entry_problems(entries, 0) == []
    assert joined_text(entries) == "é"


def test_a_piece_keeps_its_log_probabilities_between_runner_and_gateway() -> None:
    piece = Piece(" sky", (TokenLogprob.of(b" sky", -0.3, (TokenLogprob.of(b" sky", -0.3), TokenLogprob.of(b" sun", -1.9))),))
    assert event_from_wire(event_to_wire(piece)) == piece
    assert event_from_wire(event_to_wire(Piece("x"))) == Piece("x")


def test_the_request_switches_read_as_ollama_reads_them() -> None:
    assert Controls.of({}) == Controls(logprobs=None, truncate=True, shift=True)
    assert Controls.of({"top_logprobs": 3}).logprobs is None
    assert Controls.of({"logprobs": True}).logprobs == 0
    assert Controls.of({"logprobs": True, "top_logprobs": 3}).logprobs == 3
    assert Controls.of({"truncate": False, "shift": False}) == Controls(logprobs=None, truncate=False, shift=False)
    assert Controls.of({"truncate": None, "shift": None}) == Controls()


def test_the_default_window_follows_ollamas_vram_tiers() -> None:
    assert default_num_ctx(0) == DEFAULT_NUM_CTX == 4096
    assert default_num_ctx(22 * GIB) == 4096
    assert default_num_ctx(23 * GIB) == 32768
    assert default_num_ctx(47 * GIB) == 262144
    assert resolve_num_ctx({}, {}, 0, 8192, machine_default=262144) == 8192
    assert resolve_num_ctx({}, {}, 2048, 8192, machine_default=262144) == 2048
    for vram in (0, 16 * GIB, 24 * GIB, 80 * GIB, 141 * GIB):
        assert min(default_num_ctx(vram), 8192) == expected_default_window(vram, 8192)
