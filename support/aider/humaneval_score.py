"""The HumanEval run's figures: Aider's metrics per engine and model, Wilson intervals, and the engines' parity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from support.aider.humaneval_bench import TryRecord

Z_95 = 1.959964


def wilson(successes: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion, which stays inside [0, 1] and is honest at small samples."""
    if total == 0:
        return (0.0, 1.0)
    share = successes / total
    denominator = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Summary:
    """Aider's leaderboard columns for one engine and model, plus the intervals."""

    engine: str
    model: str
    cases: int
    passed_1: int
    passed_2: int
    pass_rate_1: float
    pass_rate_2: float
    pass_rate_2_interval: tuple[float, float]
    percent_cases_well_formed: float
    malformed_responses: int
    syntax_errors: int
    exhausted_context_windows: int
    test_timeouts: int
    case_timeouts: int
    seconds_per_case: float


def outcomes(records: Sequence[TryRecord]) -> dict[tuple[str, str, str], int]:
    """Each case's result: the try that passed, or 0."""
    result: dict[tuple[str, str, str], int] = {}
    for record in records:
        result.setdefault(record.key, 0)
        if record.passed and not result[record.key]:
            result[record.key] = record.attempt
    return result


def summarise(records: Sequence[TryRecord]) -> list[Summary]:
    """One Summary per engine and model, in the order they first appear."""
    groups: dict[tuple[str, str], list[TryRecord]] = {}
    for record in records:
        groups.setdefault((record.engine, record.model), []).append(record)
    summaries = []
    for (engine, model), group in groups.items():
        by_case = outcomes(group)
        cases = len(by_case)
        passed_1 = sum(1 for tried in by_case.values() if tried == 1)
        passed_2 = sum(1 for tried in by_case.values() if tried in (1, 2))
        malformed_cases = {r.key for r in group if r.malformed}
        interval = wilson(passed_2, cases)
        summaries.append(Summary(
            engine=engine, model=model, cases=cases, passed_1=passed_1, passed_2=passed_2,
            pass_rate_1=round(100 * passed_1 / cases, 1), pass_rate_2=round(100 * passed_2 / cases, 1),
            pass_rate_2_interval=(round(100 * interval[0], 1), round(100 * interval[1], 1)),
            percent_cases_well_formed=round(100 * (cases - len(malformed_cases)) / cases, 1),
            malformed_responses=sum(r.malformed for r in group), syntax_errors=sum(r.syntax_error for r in group),
            exhausted_context_windows=sum(r.exhausted_context for r in group), test_timeouts=sum(r.test_timed_out for r in group),
            case_timeouts=sum(r.case_timed_out for r in group), seconds_per_case=round(sum(r.seconds for r in group) / cases, 1),
        ))
    return summaries


def mcnemar_exact(only_first: int, only_second: int) -> float:
    """Two-sided exact McNemar p-value: the discordant pairs as a fair coin's tosses."""
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(only_first, only_second) + 1)) / 2**discordant
    return min(1.0, 2 * tail)


@dataclass(frozen=True)
class Parity:
    """Whether two engines' pass rates on the same cases differ by more than sampling explains."""

    first: str
    second: str
    model: str
    only_first: list[str]
    only_second: list[str]
    p_value: float
    rates: tuple[float, float]
    intervals: tuple[tuple[float, float], tuple[float, float]]
    alpha: float

    @property
    def difference_interval(self) -> tuple[float, float]:
        """Newcombe's hybrid score interval (1998, method 10) for first minus second, built from the Wilson intervals."""
        (rate_1, rate_2), ((low_1, high_1), (low_2, high_2)) = self.rates, self.intervals
        difference = rate_1 - rate_2
        return (difference - math.hypot(rate_1 - low_1, high_2 - rate_2), difference + math.hypot(high_1 - rate_1, rate_2 - low_2))

    @property
    def problems(self) -> list[str]:
        """Why the engines do not agree; empty when they do."""
        found = []
        if self.p_value < self.alpha:
            found.append(f"McNemar's exact test on the {len(self.only_first) + len(self.only_second)} discordant cases gives "
                         f"p = {self.p_value:.3f} < {self.alpha}")
        low, high = self.difference_interval
        if not low <= 0 <= high:
            found.append(f"{self.first} {self.rates[0]:.1%} minus {self.second} {self.rates[1]:.1%}: the 95% interval of the "
                         f"difference [{low:+.1%}, {high:+.1%}] excludes 0")
        return found


def parity(records: Sequence[TryRecord], first: str, second: str, model: str, alpha: float = 0.05) -> Parity:
    """Compare pass-by-try-2 of two engines over the cases both finished with one model.

    The cases are paired (same problems, same model, temperature 0), so McNemar's exact test on the discordant cases is
    the right test, but at six cases it cannot reach p < 0.05 with fewer than six of them. So the difference of the two
    rates must also have a 95% interval (Newcombe's, from the Wilson intervals) that holds 0: it treats the samples as
    independent, which for positively correlated pairs errs toward agreement, yet rejects a working engine (3 of 6 or
    better) against a broken one (0 of 6) while one case apart never fails.
    """
    by_case = outcomes([r for r in records if r.model == model])
    tasks = sorted({task for task, engine, _ in by_case if engine == first} & {task for task, engine, _ in by_case if engine == second})
    if not tasks:
        raise ValueError(f"no case finished on both {first} and {second} with {model}")
    passed = {engine: {t for t in tasks if by_case[(t, engine, model)]} for engine in (first, second)}
    counts = (len(passed[first]), len(passed[second]))
    return Parity(
        first=first, second=second, model=model, only_first=sorted(passed[first] - passed[second]),
        only_second=sorted(passed[second] - passed[first]),
        p_value=mcnemar_exact(len(passed[first] - passed[second]), len(passed[second] - passed[first])),
        rates=(counts[0] / len(tasks), counts[1] / len(tasks)),
        intervals=(wilson(counts[0], len(tasks)), wilson(counts[1], len(tasks))), alpha=alpha,
    )
