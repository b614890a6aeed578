"""What the coding agents did through the stack on this project's 2-core machine, and the gate on Codex CLI's verdict.

The figures come from the runs recorded in docs/agents.md (the gateway's access log: prompt tokens and time per turn;
the repository afterwards: fixed or not). Codex CLI's scenario is skipped for a model measured not to follow its prompt,
with these figures as the reason, so a reader sees why it did not run and what would make it run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tries:
    """One agent's tries at the task on 2 CPU cores with one model and engine."""

    agent: str
    engine: str
    first_prompt_tokens: int
    """The first request's prompt as the engine got it (the agent's system prompt, tools and the instruction)."""
    tries: int
    fixed: int
    seconds_per_try: str
    """The range of one try's wall time, first turn included."""
    what_it_did: str

    def sentence(self) -> str:
        """The figures in words."""
        return (f"{self.agent} on {self.engine}: first prompt {self.first_prompt_tokens} tokens, fixed the bug in "
                f"{self.fixed} of {self.tries} tries, {self.seconds_per_try} s a try; {self.what_it_did}")


CLAUDE_CODE_TRIES = Tries("Claude Code", "mistral.rs", 3480, 10, 6, "32-78",
                          "a try that fixes it reads calc.py and edits the line; one that does not answers in text or "
                          "rambles")
CODEX_TRIES = Tries("Codex CLI", "mistral.rs", 8612, 9, 0, "31-248",
                    "it runs the test through exec_command, then answers in text: Codex gives a model it has no "
                    "metadata for no edit tool, only its shell, and /v1/responses samples at temperature 1.0 as Ollama "
                    "does")
MEASURED: tuple[Tries, ...] = (CLAUDE_CODE_TRIES, CODEX_TRIES)
"""The tries of 2026-12-05 on this project's 2-core machine, idle but for the runs themselves (docs/agents.md)."""

CODEX_UNFIT: dict[str, Tries] = {"qwen2.5-coder:1.5b": CODEX_TRIES}
"""Models measured not to follow Codex CLI's prompt well enough to fix the task's bug, with what was measured."""


def codex_model_missing(model: str | None) -> str | None:
    """None when Codex CLI's scenario can expect a fix from the model; for a model measured not to, why, in figures."""
    if model is None:
        return None
    measured = CODEX_UNFIT.get(model)
    if measured is None:
        return None
    return (f"Codex CLI does not fix the task's bug with {model}: {measured.sentence()} (docs/agents.md); the stack "
            f"served every turn, so the files verdict needs a model that follows Codex's prompt: give one with "
            f"-D capable_model=NAME")
