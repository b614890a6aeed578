"""One behave run in a copy of the checkout, and what it says about the fault planted there.

A run *failed* when a scenario failed or raised: the suite noticed. It is an *error* when behave stopped before any
scenario could fail (the stack did not start, a hook broke, no report was written) or ran past its time: the suite
was not given the chance to notice, so an error is never counted as a kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.processes import log_tail

FAST_TAGS = "not @slow and not @benchmark and not @long"
PINNED_TAGS = "not @benchmark"
"""For features named by line only: a fault that names its scenario (an alert followed end to end, say) runs it, slow
or not."""
REPORT_NAME = "faults-behave.json"
STACK_LOG = Path("results/last-run/stack.log")
_STOP_GRACE_S = 30.0
_RAN = ("passed", "failed", "error")
_FAILED = ("failed", "error")


@dataclass(frozen=True)
class BehaveRun:
    """How a run ended: `passed`, `failed` or `error`, where it first failed, and how long it took."""

    outcome: str
    seconds: float
    scenarios: int = 0
    """Scenarios that ran to a result (passed, failed or raised)."""
    first_failure: str = ""
    """`file:line scenario name`, then the step that did not pass and its message's first line."""
    detail: str = ""
    """Why a run is an error."""
    feature_seconds: dict[str, float] = field(default_factory=dict)
    """Seconds the scenarios of each feature file took, from the report's step durations (no gateway start)."""


def behave_command(copy: Path, features: Sequence[str], engine: str) -> list[str]:
    """The fast scenarios of the features (any named by line when every feature is), stopping at the first failure,
    with a JSON report for the verdict."""
    pinned = all(feature.rpartition(":")[2].isdigit() for feature in features)
    return [
        str(copy / ".venv" / "bin" / "behave"), *features,
        f"--tags={PINNED_TAGS if pinned else FAST_TAGS}", "--stop",
        "-f", "json", "-o", str(copy / REPORT_NAME), "-f", "plain",
        "-D", f"engine={engine}",
    ]  # fmt: skip


def run_behave(copy: Path, features: Sequence[str], engine: str, log: Path, timeout_s: float | None) -> BehaveRun:
    """Run behave in the copy, its output into `log`; on time out its whole process group is stopped."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            behave_command(copy, features, engine), cwd=copy, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        timed_out = False
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop_group(process)
        except BaseException:
            # Ctrl-C reaches only this process: behave runs in a session of its own, so it is stopped here.
            _stop_group(process)
            raise
    seconds = time.monotonic() - started
    run = outcome_of(process.returncode, _read_report(copy / REPORT_NAME), seconds, timed_out)
    if run.outcome == "error":
        with log.open("a", encoding="utf-8") as output:
            output.write(f"\n--- {run.detail}; the gateway's log ends:\n{log_tail(copy / STACK_LOG, 40)}\n")
    return run


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    # SIGTERM first: the suite's hooks turn it into an interrupt and stop the gateway and its runners.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _read_report(path: Path) -> list[dict[str, Any]] | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, list) else None


def outcome_of(returncode: int | None, report: list[dict[str, Any]] | None, seconds: float, timed_out: bool = False) -> BehaveRun:
    """The verdict from behave's exit status and its JSON report."""
    if timed_out:
        return BehaveRun("error", seconds, detail=f"ran past the time limit ({seconds:.0f} s)")
    if report is None:
        return BehaveRun("error", seconds, detail=f"behave exited with {returncode} and wrote no report")
    scenarios = [element for feature in report for element in feature.get("elements", []) if element.get("type") == "scenario"]
    ran = [scenario for scenario in scenarios if scenario.get("status") in _RAN]
    failing = [scenario for scenario in ran if scenario.get("status") in _FAILED]
    timed = feature_seconds(report)
    if failing:
        return BehaveRun("failed", seconds, len(ran), first_failure=_describe_failure(failing[0]), feature_seconds=timed)
    if returncode != 0:
        return BehaveRun("error", seconds, len(ran), detail=f"behave exited with {returncode} before any scenario failed (a hook or the stack)")
    if not ran:
        return BehaveRun("error", seconds, detail="no scenario ran")
    return BehaveRun("passed", seconds, len(ran), feature_seconds=timed)


def feature_seconds(report: list[dict[str, Any]]) -> dict[str, float]:
    """The time each feature file's steps took; behave reads a file named twice as two features, so they add up."""
    timed: dict[str, float] = {}
    for feature in report:
        path = str(feature.get("location", "?")).split(":", 1)[0]
        steps = [step for element in feature.get("elements", []) for step in element.get("steps", [])]
        timed[path] = timed.get(path, 0.0) + sum(float(step.get("result", {}).get("duration", 0.0)) for step in steps)
    return timed


def _describe_failure(scenario: dict[str, Any]) -> str:
    steps = [step for step in scenario.get("steps", []) if step.get("result", {}).get("status") in _FAILED]
    where = f"{scenario.get('location', '?')} {scenario.get('name', '?')}"
    if not steps:
        return where
    message = _first_line(steps[0]["result"].get("error_message"))
    return f"{where}: {steps[0].get('keyword', '')} {steps[0].get('name', '')}" + (f" ({message})" if message else "")


def _first_line(message: Any, limit: int = 200) -> str:
    """PyHamcrest's "Expected ... but: was ..." where the message has it (the exchange comes first), else its first line."""
    # behave's JSON gives the message as a string or as a list of lines.
    text = "\n".join(message) if isinstance(message, list) else str(message or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    hamcrest = [line for line in lines if line.startswith(("Expected:", "but:"))]
    first = " ".join(hamcrest) if hamcrest else (lines[0] if lines else "")
    return first if len(first) <= limit else first[: limit - 1] + "…"
