"""The plans: which batches each iteration runs, on which targets, and prompts fitted to a token count."""

from __future__ import annotations

from support.bench.measure import Batch, RequestRecord, RequestSpec
from support.bench.plan import FILLER, FULL, QUICK, SHORT_PROMPT, fitted_prompt
from support.bench.run import Unit, applies, units_of
from support.bench.targets import Target


class Kind(Target):
    """A target that is only its kind."""

    def __init__(self, kind: str) -> None:
        self.kind, self.label, self.engine = kind, kind, kind

    async def send(self, spec: RequestSpec, batch: Batch, scheduled: float) -> RequestRecord:
        raise NotImplementedError


def names(units: list[Unit]) -> list[str]:
    return [f"{u.phase} {u.load} {u.prompt_size}" for u in units]


def test_the_quick_plan_runs_the_concurrency_batch_before_the_costly_prompt_and_only_once() -> None:
    assert names(units_of(QUICK, 0)) == ["synchronous sync short", "concurrency c=8 short", "synchronous sync medium"]
    assert names(units_of(QUICK, 1)) == ["synchronous sync short"]
    # What the checks judge runs even after the time budget is spent; the rest may be skipped.
    assert [u.essential for u in units_of(QUICK, 0)] == [True, True, False]
    assert not any(u.essential for u in units_of(QUICK, 1))


def test_the_quick_plan_puts_concurrent_load_on_the_gateways_only() -> None:
    eight = units_of(QUICK, 0)[1]
    assert applies(eight, Kind("gateway"), QUICK) and not applies(eight, Kind("engine"), QUICK)
    assert applies(units_of(QUICK, 0)[0], Kind("engine"), QUICK)


def test_the_full_plan_sweeps_every_target_and_keeps_the_openai_api_to_http_targets() -> None:
    units = units_of(FULL, 0)
    assert [u.concurrency for u in units if u.phase == "concurrency"] == [1, 2, 4, 8]
    assert any(u.phase == "poisson" for u in units) and any(not u.stream for u in units)
    openai = next(u for u in units if u.api == "openai-chat")
    assert applies(openai, Kind("ollama"), FULL) and not applies(openai, Kind("engine"), FULL)
    assert all(applies(u, Kind("engine"), FULL) for u in units if u.phase == "concurrency")
    assert not any(u.phase == "concurrency" for u in units_of(FULL, 1))


def test_a_fitted_prompt_has_about_the_asked_number_of_tokens() -> None:
    words = len  # one token per character keeps the arithmetic visible
    text = fitted_prompt(1024, words)
    # It stops short of the count by less than one more filler paragraph.
    assert 1024 - len(FILLER) < words(text) <= 1024 and text.endswith(SHORT_PROMPT[1:])
    assert fitted_prompt(0, words) == SHORT_PROMPT
