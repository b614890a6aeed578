"""What a benchmark run does: the models, prompt sizes, load shapes and iterations; the quick and the full plan."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

SHORT_PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
FILLER = ("The harbour town woke slowly: fishing boats creaked against the pier, gulls argued over the nets, "
          "and the baker opened his shutters while the tide turned beneath a pale grey sky. ")
PROMPT_TOKENS = {"short": 0, "medium": 256, "long": 1024}
"""Prompt sizes in the model's tokens; the short prompt is a plain question."""


@dataclass(frozen=True)
class Plan:
    """Everything a run varies. Batches are interleaved across targets, iteration by iteration."""

    name: str
    models: tuple[str, ...]
    iterations: int
    sync_requests: dict[str, int]
    """Synchronous requests per iteration, per prompt size."""
    once: dict[str, int]
    """Synchronous requests in the first iteration only, per prompt size (long prompts are costly on a CPU)."""
    concurrency_levels: tuple[int, ...]
    requests_per_level: int
    poisson_rate: float = 0.0
    poisson_requests: int = 0
    non_streamed: int = 0
    """Synchronous non-streamed short requests per iteration."""
    openai_requests: int = 0
    """Synchronous short requests per iteration through /v1/chat/completions (HTTP targets only)."""
    max_tokens: int = 48
    sweep_max_tokens: int = 0
    """Tokens per answer under concurrent load, where it differs (the quick plan only asks that nothing fails); 0 = max_tokens."""
    engines: tuple[str, ...] = ("mistralrs", "llamacpp")
    raw_engines: bool = True
    sweep_every_iteration: bool = False
    sweep_raw: bool = True
    """Whether the raw engines also take the concurrency sweep (the gateway's queue is what the quick plan checks)."""
    budget_s: float = 0.0
    """Once the run has taken this long, the batches left are skipped and the report says so, except those the checks
    judge (the first iteration's short prompts and the concurrency batches); 0 for no bound."""
    locust: dict[str, float] = field(default_factory=dict)

    def with_iterations(self, iterations: int | None) -> Plan:
        """The plan with another number of iterations, when one is given."""
        return self if not iterations else dataclasses.replace(self, iterations=iterations)


QUICK = Plan(
    name="quick", models=("smollm2:135m",), iterations=2, sync_requests={"short": 2}, once={"medium": 1},
    concurrency_levels=(8,), requests_per_level=8, max_tokens=64, sweep_max_tokens=16, sweep_raw=False, budget_s=480,
)
FULL = Plan(
    name="full", models=("smollm2:135m", "qwen2.5-coder:1.5b"), iterations=3, sync_requests={"short": 2, "medium": 1, "long": 1},
    once={}, concurrency_levels=(1, 2, 4, 8), requests_per_level=8, poisson_rate=0.5, poisson_requests=8, non_streamed=1,
    openai_requests=1, max_tokens=96,
)
PLANS = {plan.name: plan for plan in (QUICK, FULL)}


def fitted_prompt(tokens: int, count: Callable[[str], int]) -> str:
    """A prompt of about `tokens` of the model's tokens: filler text, then the question; the short one is the question."""
    if tokens <= 0:
        return SHORT_PROMPT
    question = f"\n\nUsing the scene above, {SHORT_PROMPT[0].lower()}{SHORT_PROMPT[1:]}"
    per_filler = max(1, count(FILLER))
    repeats = max(1, (tokens - count(question)) // per_filler)
    text = FILLER * repeats + question
    while count(text) > tokens and repeats > 1:
        repeats -= 1
        text = FILLER * repeats + question
    return text
