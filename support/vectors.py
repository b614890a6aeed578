"""Embedding arithmetic."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Sequence
from typing import Any


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


def base64_mismatches(floats: Sequence[dict[str, Any]], packed: Sequence[dict[str, Any]], tolerance: float = 1e-6) -> list[str]:
    """Where a base64 embedding (little-endian float32s, as OpenAI's SDK decodes it) differs from the float one at its index."""
    problems = []
    if [item.get("index") for item in floats] != [item.get("index") for item in packed]:
        problems.append(f"indexes differ: {[item.get('index') for item in floats]} against {[item.get('index') for item in packed]}")
    for plain, encoded in zip(floats, packed, strict=False):
        if not isinstance(encoded.get("embedding"), str):
            problems.append(f"index {encoded.get('index')}: the embedding is not a base64 string")
            continue
        raw = base64.b64decode(encoded["embedding"])
        decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
        vector = plain.get("embedding") or []
        if len(decoded) != len(vector):
            problems.append(f"index {encoded.get('index')}: {len(decoded)} numbers decoded, {len(vector)} sent as floats")
        elif any(abs(a - b) > tolerance for a, b in zip(decoded, vector, strict=True)):
            problems.append(f"index {encoded.get('index')}: decoded {list(decoded[:4])}... against {list(vector[:4])}...")
    return problems
