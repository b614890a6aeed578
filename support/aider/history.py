"""Aider's .aider.chat.history.md: reading the reply to a message, and writing long conversations and bulky files.

In that file a session starts with "# aider chat started at", user lines start with "#### ", Aider's own notes are
"> " quotes, and the model's text is plain (aider/io.py); --restore-chat-history reads it back the same way.
"""

from __future__ import annotations


def reply_to(history: str, message: str) -> str:
    """The model's text after the last time `message` was sent, Aider's quoted notes left out."""
    first_line = message.strip().splitlines()[0]
    marker = f"#### {first_line}"
    position = history.rfind(marker)
    if position < 0:
        return ""
    reply: list[str] = []
    for line in history[position + len(marker):].splitlines()[1:]:
        if line.startswith(("#### ", "# aider chat started")):
            break
        if not line.startswith(">") and not line.startswith("#### "):
            reply.append(line)
    return "\n".join(reply).strip()


def long_conversation(turns: int) -> str:
    """A chat history of `turns` question-and-answer pairs, each one a few hundred characters of distinct facts."""
    lines = ["# aider chat started at 2026-01-01 00:00:00", ""]
    for turn in range(1, turns + 1):
        numbers = ", ".join(str(turn * 7919 + step * 104729) for step in range(12))
        lines += [f"#### Note {turn}: remember the checksum series {turn}, please.", "",
                  f"Noted. Series {turn} is {numbers}; I will keep it for later questions about series {turn}.", ""]
    return "\n".join(lines) + "\n"


def bulky_module(name: str, lines: int) -> str:
    """A Python module of constant tables: plain code, many tokens (digits tokenize one by one in these models)."""
    rows = [f'"""Lookup tables for {name}."""', ""]
    for row in range(lines):
        values = ", ".join(str((row * 7919 + column * 104729) % 1000003) for column in range(8))
        rows.append(f"{name.upper()}_{row} = ({values})")
    return "\n".join(rows) + "\n"
