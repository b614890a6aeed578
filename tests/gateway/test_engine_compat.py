"""What the mistral.rs engine asks of its SDK, so that an older CUDA build (mistralrs-cuda 0.6.0) still loads."""

from __future__ import annotations

from stack.gateway.engines.mistralrs import _max_sequence_length


class _RunnerThatKnowsItsWindow:
    def max_sequence_length(self) -> int:
        return 4096


class _RunnerFromBefore09:
    """mistralrs 0.6.0's Runner has no max_sequence_length."""


def test_the_window_comes_from_mistralrs_where_it_can_say() -> None:
    assert _max_sequence_length(_RunnerThatKnowsItsWindow()) == 4096


def test_an_older_build_leaves_the_window_to_the_gguf() -> None:
    assert _max_sequence_length(_RunnerFromBefore09()) is None
