"""The figures a per-hardware profile holds a scenario to, as one plain sentence for the feature file.

A scenario whose bounds come from a profile states them in its first step, for example
`Given the cpu-2core profile's soak: 2 clients for 75 s, ...`, so that a reader of the feature file sees the numbers
without opening the YAML. The step renders the sentence again from the profile in use: when that is the profile the
step names, the two must be equal (a feature that no longer says what the profile holds fails, here and in
tests/suite/test_profile_figures.py); under another profile the step reports that profile's figures instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from support.aider.humaneval_run import DEFAULT_PROFILE as AIDER_BENCH_PROFILE
from support.aider.humaneval_run import load_bench_profile
from support.bench.profile import load_profile as load_bench_thresholds
from support.reliability.profile import Profile, profile_from_userdata

DEFAULT_BENCH_PROFILE = "cpu-2core"


@dataclass(frozen=True)
class Stated:
    """A profile's name and the sentence of its figures for one subject."""

    profile: str
    figures: str
    usual: bool = True
    """False where a -D switch picked other figures of the same profile (-D soak=long): then only reported."""


def _mib(count: int) -> str:
    return f"{count / 2**20:g} MiB"


def _number(value: float) -> str:
    return f"{value:g}"


def _reliability(render: Callable[[Profile], str]) -> Callable[[Mapping[str, str]], Stated]:
    def stated(userdata: Mapping[str, str]) -> Stated:
        profile = profile_from_userdata(userdata)
        return Stated(profile.source.stem, render(profile))

    return stated


def _soak(length: str) -> Callable[[Profile], str]:
    def render(p: Profile) -> str:
        return (f"{p('soak', length, 'concurrency')} clients for {p('soak', length, 'duration_s')} s, "
                f"{p('soak', 'num_predict')} tokens an answer, memory growth under {_mib(p('soak', 'rss_growth_bytes'))}, "
                f"the last fifth's median latency at most {_number(p('soak', 'p50_ratio'))}× the first fifth's "
                f"and its 90th percentile at most {_number(p('soak', 'p90_ratio'))}×")

    return render


def _soak_in_use(userdata: Mapping[str, str]) -> Stated:
    """The soak -D soak picks (short unless told), which the soak scenario runs."""
    profile = profile_from_userdata(userdata)
    length = userdata.get("soak", "short")
    return Stated(profile.source.stem, _soak(length)(profile), usual=length == "short")


def _fuzz(length: str) -> Callable[[Profile], str]:
    def render(p: Profile) -> str:
        return (f"up to {p('fuzz', length, 'examples_per_operation')} requests per operation, "
                f"{p('fuzz', length, 'seconds')} s in all, each answered within {p('fuzz', length, 'request_timeout_s')} s")

    return render


def _disconnects(length: str) -> Callable[[Profile], str]:
    def render(p: Profile) -> str:
        return (f"{p('disconnects', length, 'clients')} clients, {p('disconnects', length, 'at_once')} at a time, "
                f"everything released within {p('disconnects', 'settle_s')} s, "
                f"memory growth under {_mib(p('disconnects', 'rss_growth_bytes'))}")

    return render


def _bench(userdata: Mapping[str, str]) -> Stated:
    t = load_bench_thresholds(userdata.get("bench_profile", DEFAULT_BENCH_PROFILE))
    return Stated(t.name, f"first token within {_number(t.ttft_p95_short_s)} s at the 95th percentile, "
                          f"at least {_number(t.gateway_decode_share * 100)}% of the raw engine's decode speed "
                          f"through the gateway and at most {_number(t.gateway_ttft_added_ms)} ms added to its first "
                          f"token, {t.concurrency} requests at once with none failed, "
                          f"peak memory under {_number(t.memory_max_mib)} MiB")


def _aider_bench(userdata: Mapping[str, str]) -> Stated:
    path = Path(userdata.get("aider_bench_profile", str(AIDER_BENCH_PROFILE)))
    b = load_bench_profile(path)
    return Stated(path.stem, f"{b.sample_size} problems per engine (seed {b.seed}), at least "
                             f"{_number(b.min_pass_share * 100)}% passed by try 2, {_number(b.case_timeout_s)} s a case")


SUBJECTS: dict[str, Callable[[Mapping[str, str]], Stated]] = {
    "soak": _soak_in_use,
    "queue": _reliability(lambda p: f"at most {p('queue', 'max_queue')} requests waiting, "
                                    f"a burst of {p('queue', 'burst')} at once"),
    "short fuzzing budget": _reliability(_fuzz("short")),
    "long fuzzing budget": _reliability(_fuzz("long")),
    "hostile-client bounds": _reliability(lambda p: f"other clients answered within {p('hostile', 'others_answered_within_s')} s, "
                                                    f"{p('hostile', 'silent_connections')} silent connections"),
    "short hang-up count": _reliability(_disconnects("short")),
    "long hang-up count": _reliability(_disconnects("long")),
    "fault bounds": _reliability(lambda p: f"an error line within {p('faults', 'error_line_within_s')} s, "
                                           f"a restart within {p('faults', 'restart_within_s')} s, "
                                           f"an alert back within {p('faults', 'alert_back_within_s')} s"),
    "hung-runner bounds": _reliability(lambda p: f"a health check of {p('hung_runner', 'ping_timeout_s')} s, "
                                                 f"a replacement within {p('hung_runner', 'replaced_within_s')} s, "
                                                 f"each answer of the other model within {p('hung_runner', 'others_ratio')}× its time before "
                                                 f"plus {p('hung_runner', 'others_slack_s')} s, "
                                                 f"at least {p('hung_runner', 'others_meanwhile')} of them meanwhile where that many fit"),
    "benchmark bounds": _bench,
    "HumanEval sample": _aider_bench,
}
"""Each subject a feature may state, and how its sentence is made from the profile in use."""


def stated(subject: str, userdata: Mapping[str, str]) -> Stated:
    """The profile in use and its figures for the subject."""
    if subject not in SUBJECTS:
        raise KeyError(f"no profile figures for {subject!r}; known: {', '.join(sorted(SUBJECTS))}")
    return SUBJECTS[subject](userdata)


def mismatch(profile: str, subject: str, figures: str, userdata: Mapping[str, str]) -> str | None:
    """Why a feature's statement of the profile's figures is wrong, or None. Only the named profile is compared."""
    actual = stated(subject, userdata)
    if actual.profile != profile or not actual.usual or actual.figures == figures:
        return None
    return (f"the feature says the {profile} profile's {subject} is {figures!r}, but the profile gives "
            f"{actual.figures!r}: update the feature file")
