"""Embedding arithmetic."""

from __future__ import annotations

import math
from collections.abc import Sequence


def l2_norm(vector: Sequence[float]) -> float:
    """The Euclidean length of a vector."""
    return math.sqrt(sum(x * x for x in vector))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine similarity of two vectors of equal length."""
    if len(a) != len(b):
        raise ValueError(f"vectors differ in length: {len(a)} and {len(b)}")
    return sum(x * y for x, y in zip(a, b, strict=True)) / (l2_norm(a) * l2_norm(b))


def misplaced(batch: Sequence[Sequence[float]], singles: Sequence[Sequence[float]], threshold: float) -> list[str]:
    """Where a batch's vector is not the vector its input gets alone: cosine below the threshold, or a missing vector."""
    if len(batch) != len(singles):
        return [f"{len(batch)} vectors for {len(singles)} inputs"]
    return [
        f"position {i}: cosine {similarity:.6f} with its input's own vector"
        for i, similarity in enumerate(cosine(in_batch, alone) for in_batch, alone in zip(batch, singles, strict=True))
        if similarity < threshold
    ]
