"""Ollama's native rules as pure functions: what a correct answer must be, derived from other requests.

Each function takes what a client sees (answers, listings, counts) and says what Ollama would have sent,
so a step can compare the two without knowing how the server under test works inside.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

FOREVER_AFTER_S = 100 * 365 * 24 * 3600.0
"""A negative keep_alive is math.MaxInt64 nanoseconds, about 292 years; anything past a century reads as forever."""

GGUF_FILE_TYPE = re.compile(r"^(F32|F16|BF16|Q[2-8]_(0|1|K(_[SML])?)|IQ[1-4]_[A-Z0-9_]+|TQ[12]_0|MXFP4)$")
"""The quantization names Ollama's FileType.String() writes, as in "Q4_K_M" or "Q8_0"."""


def human_number(count: int) -> str:
    """Ollama's format.HumanNumber, which writes details.parameter_size: 134.52M, 8B, 1.5B, 27K."""
    if count >= 1_000_000_000:
        number = count / 1_000_000_000
        return f"{number:.0f}B" if number == math.floor(number) else f"{number:.1f}B"
    if count >= 1_000_000:
        number = count / 1_000_000
        return f"{number:.0f}M" if number == math.floor(number) else f"{number:.2f}M"
    if count >= 1_000:
        return f"{count / 1_000:.0f}K"
    return str(count)


def name_form(model: str, form: str) -> str:
    """The model under test named another way: "in upper case", "without its tag", "with :latest", ...

    The tagless and `:latest` forms name the model's `latest` tag, which the bundled models register beside their
    size tag (smollm2:135m and smollm2:latest are one GGUF).
    """
    base = model.rsplit(":", 1)[0] if ":" in model.rsplit("/", 1)[-1] else model
    forms = {
        "as installed": model,
        "in upper case": model.upper(),
        "without its tag": base,
        'with ":latest"': f"{base}:latest",
        "in upper case without its tag": base.upper(),
        'in upper case with ":latest"': f"{base.upper()}:LATEST",
    }
    return forms[form]


def qualified_name(model: str) -> str:
    """The fully qualified name Ollama puts in capability errors: registry.ollama.ai/library/smollm2:135m."""
    parts = model.split("/")
    last = parts[-1] if ":" in parts[-1] else f"{parts[-1]}:latest"
    host = parts[-3] if len(parts) == 3 else "registry.ollama.ai"
    namespace = parts[-2] if len(parts) >= 2 else "library"
    return f"{host}/{namespace}/{last}"


def seconds_until(expires_at: str, now: dt.datetime) -> float:
    """Seconds from `now` to an RFC 3339 expires_at; Python reads at most microseconds, so longer fractions are cut."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", expires_at).replace("Z", "+00:00")
    return (dt.datetime.fromisoformat(text) - now).total_seconds()


def running_entry(listing: Mapping[str, Any], listed_name: str) -> dict[str, Any] | None:
    """The /api/ps or /api/tags entry for a model, or None."""
    for entry in listing.get("models") or []:
        if entry.get("model") == listed_name:
            found: dict[str, Any] = entry
            return found
    return None


def stop_point(answer: str, min_offset: int = 3) -> tuple[str, str]:
    """A stop text found in an answer past its start, and the answer up to it: (stop, expected answer)."""
    for match in re.finditer(r"[A-Za-z]{3,}", answer):
        if match.start() >= min_offset:
            return match.group(), answer[: answer.index(match.group())]
    raise AssertionError(f"no word to stop at in {answer!r}")


def tail_read_as(
    count_of_tail: Callable[[int], int], longest: int, target: int
) -> tuple[int | None, list[tuple[int, int]]]:
    """The number of newest messages whose prompt reads `target` tokens, found by bisection.

    `count_of_tail(n)` is the prompt_eval_count of the system message, the newest `n` earlier messages and the last
    message; it grows with `n`. Returns that `n` (None when no tail reads so) and the counts tried, for the report.
    """
    tried: list[tuple[int, int]] = []
    low, high = 0, longest
    while low <= high:
        middle = (low + high) // 2
        count = count_of_tail(middle)
        tried.append((middle, count))
        if count == target:
            return middle, tried
        if count < target:
            low = middle + 1
        else:
            high = middle - 1
    return None, tried


def distinct(answers: Sequence[str]) -> int:
    """How many different answers there are."""
    return len(set(answers))
