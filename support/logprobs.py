"""Log probabilities in an answer, native or OpenAI, and the checks a client relies on.

Each entry is `{token, logprob, bytes, top_logprobs}`: native chunks carry a list under `logprobs`, OpenAI chat
choices under `logprobs.content`. The checks follow Ollama's own integration test (api_test.go): a non-empty token,
`logprob <= 0`, bytes that are the token's UTF-8, at most N alternatives sorted likeliest first; and two that only
hold at temperature 0: the chosen token is the likeliest alternative, and the tokens' bytes joined are the answer.
"""

from __future__ import annotations

from typing import Any

Entry = dict[str, Any]
TOLERANCE = 1e-4
"""How far two log probabilities of one token may differ and still be the same number (float32 in the engine)."""


def entries_of(chunks: list[dict[str, Any]]) -> list[Entry]:
    """Every log probability entry of a response, in order, wherever its API puts them."""
    found: list[Entry] = []
    for chunk in chunks:
        found.extend(chunk.get("logprobs") or [])
        for choice in chunk.get("choices") or []:
            found.extend((choice.get("logprobs") or {}).get("content") or [])
    return found


def carriers(chunks: list[dict[str, Any]]) -> int:
    """How many chunks carry log probabilities at all."""
    return sum(1 for chunk in chunks if entries_of([chunk]))


def joined_text(entries: list[Entry]) -> str:
    """The tokens' bytes joined and decoded: a token may hold half a character, so bytes, not texts, are joined."""
    return bytes(byte for entry in entries for byte in entry.get("bytes") or []).decode(errors="replace")


def entry_problems(entries: list[Entry], alternatives: int) -> list[str]:
    """What breaks Ollama's rules for each entry: text, bytes, sign, and the alternatives' count and order."""
    problems: list[str] = []
    for index, entry in enumerate(entries):
        where = f"token {index} {entry.get('token')!r}"
        problems += [f"{where}: {problem}" for problem in _token_problems(entry)]
        top = entry.get("top_logprobs")
        if alternatives == 0:
            if top:
                problems.append(f"{where}: top_logprobs present though none were asked for: {top}")
            continue
        if not isinstance(top, list) or len(top) != alternatives:
            problems.append(f"{where}: expected {alternatives} alternatives, got {top!r}")
            continue
        problems += [f"{where}, alternative {rank}: {problem}" for rank, other in enumerate(top) for problem in _token_problems(other)]
        values = [float(other.get("logprob", 0.0)) for other in top]
        if values != sorted(values, reverse=True):
            problems.append(f"{where}: alternatives not sorted likeliest first: {values}")
    return problems


def greedy_problems(entries: list[Entry]) -> list[str]:
    """At temperature 0 the chosen token is the likeliest alternative, with the same log probability."""
    problems: list[str] = []
    for index, entry in enumerate(entries):
        top = entry.get("top_logprobs") or []
        if not top:
            problems.append(f"token {index} {entry.get('token')!r}: no alternatives to compare with")
            continue
        best = top[0]
        if best.get("bytes") != entry.get("bytes") or abs(float(best.get("logprob", 1.0)) - float(entry.get("logprob", 0.0))) > TOLERANCE:
            problems.append(f"token {index} {entry.get('token')!r} ({entry.get('logprob')}) is not the likeliest, {best}")
    return problems


def _token_problems(entry: Entry) -> list[str]:
    problems: list[str] = []
    token, logprob, raw = entry.get("token"), entry.get("logprob"), entry.get("bytes")
    if not isinstance(token, str) or not token:
        problems.append(f"token is not a non-empty string: {token!r}")
    if not isinstance(logprob, (int, float)) or isinstance(logprob, bool) or logprob > 0:
        problems.append(f"logprob is not a number at most 0: {logprob!r}")
    if not isinstance(raw, list) or not all(isinstance(byte, int) and 0 <= byte < 256 for byte in raw):
        problems.append(f"bytes are not a list of bytes: {raw!r}")
    elif bytes(raw).decode(errors="replace") != token:
        problems.append(f"bytes {raw} decode to {bytes(raw).decode(errors='replace')!r}, not the token {token!r}")
    return problems
