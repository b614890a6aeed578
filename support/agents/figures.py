"""What one headless agent run cost on this project's 2-core machine, and the gate that keeps it off CPU profiles.

The figures come from the runs recorded in docs/agents.md (the gateway's access log: prompt tokens and time per turn).
They are the skip reason on a CPU profile, so a reader sees why the scenarios did not run there.
"""

from __future__ import annotations

from dataclasses import dataclass

SUITE_BUDGET_S = 40 * 60
"""make suite's whole budget; the suite already takes about 32 minutes of it on 2 cores."""


@dataclass(frozen=True)
class Measured:
    """One agent's run on 2 CPU cores: the first turn's prompt, the turns served, their time, whether it finished."""

    agent: str
    engine: str
    sent_tokens: int
    """The first request as the agent sent it, counted with the model's tokenizer."""
    first_prompt_tokens: int
    """What the engine was given of it: the gateway cuts a prompt to the window less the answer's reserve."""
    turns: int
    seconds_per_turn: float
    outcome: str

    def sentence(self) -> str:
        """The figures in words."""
        return (f"{self.agent} on {self.engine} sends about {self.sent_tokens} prompt tokens, the engine got "
                f"{self.first_prompt_tokens}; {self.turns} turn{'s' if self.turns != 1 else ''} at "
                f"{self.seconds_per_turn:.0f} s each; {self.outcome}")


MEASURED: tuple[Measured, ...] = (
    Measured("Codex CLI", "llama.cpp (8192-token window)", 9300, 8064, 1, 357.0,
             "exited after answering in text, bug not fixed"),
    Measured("Claude Code", "llama.cpp (8192-token window)", 12300, 4096, 2, 89.0,
             "exited after one tool call and a text answer, bug not fixed"),
    Measured("Codex CLI", "mistral.rs (32768-token window)", 8627, 8627, 2, 203.0,
             "390 s for the whole first prompt, 16 s for the next on its cached prefix; ran the test, bug not fixed"),
    Measured("Claude Code", "mistral.rs (32768-token window)", 11817, 11817, 4, 239.0,
             "550 s for the whole first prompt, 39 to 267 s after; called its Agent and Read tools, bug not fixed"),
)
"""The runs of 2026-12-04 on the shared 2-core machine (docs/agents.md)."""


def agent_budget_missing(profile: str, engine: str) -> str | None:
    """None on a GPU profile; on a CPU profile, why an agent's run does not fit make suite, with the measured figures."""
    if not profile.startswith("cpu"):
        return None
    figures = "; ".join(measured.sentence() for measured in MEASURED)
    return (f"a coding agent's run does not fit make suite's {SUITE_BUDGET_S // 60} minutes on the {profile} profile "
            f"(engine {engine}): measured on 2 cores, {figures} (docs/agents.md); the scenarios run on GPU profiles, "
            f"-D bench_profile=gpu-1x")
