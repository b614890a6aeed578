"""A catalogue run: the control with no fault, then each fault alone in a fresh copy, with a line per fault as it ends."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from support.faults.catalogue import CatalogueError, Fault, union_of_features
from support.faults.run import BehaveRun, run_behave
from support.faults.workspace import Workspace

VERDICTS = {"failed": "killed", "passed": "survived", "error": "error"}
CONTROL_LOG = "control.log"
STARTUP_ALLOWANCE_S = 120.0


@dataclass(frozen=True)
class FaultResult:
    """What the suite made of one fault: killed, survived or error."""

    fault: Fault
    verdict: str
    run: BehaveRun


@dataclass
class Campaign:
    """A catalogue run as it stands: the control, then the faults tried so far."""

    engine: str
    started: datetime
    control_features: list[str]
    control: BehaveRun | None = None
    results: list[FaultResult] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for result in self.results if result.verdict == verdict)

    @property
    def kill_rate(self) -> float | None:
        """killed / (killed + survived); errors are left out, as the suite was not given its chance with them."""
        judged = self.count("killed") + self.count("survived")
        return self.count("killed") / judged if judged else None


class Clock:
    """Lines on the terminal, each with the time since the run began."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        sys.stderr.write(f"[{time.monotonic() - self.started:6.0f} s] {text}\n")
        sys.stderr.flush()


def run_campaign(
    faults: Sequence[Fault],
    broken: Mapping[str, Sequence[str]],
    repo_root: Path,
    engine: str,
    out: Path,
    timeout_s: float | None,
    saved: Callable[[Campaign], None],
) -> Campaign:
    """The control over every feature the plantable faults name; if it passes, each of them alone.

    `broken` maps the faults that cannot be planted on this tree to why; they are errors without a run.
    `saved` gets each new state of the campaign.
    """
    clock = Clock()
    unplanted = [_unplanted(fault, broken[fault.name]) for fault in faults if fault.name in broken]
    faults = [fault for fault in faults if fault.name not in broken]
    campaign = Campaign(engine, datetime.now(UTC), union_of_features(faults), results=unplanted)
    with Workspace(repo_root) as workspace:
        files = {feature.split(":", 1)[0] for feature in campaign.control_features}
        clock.say(f"control: no fault, {len(files)} feature files, engine {engine}")
        copy = workspace.copy(None)
        campaign.control = run_behave(copy, campaign.control_features, engine, out / "logs" / CONTROL_LOG, None)
        workspace.discard(copy)
        saved(campaign)
        control = campaign.control
        clock.say(f"control: {control.outcome}, {control.scenarios} scenarios in {control.seconds:.0f} s {control.first_failure or control.detail}".rstrip())
        if control.outcome != "passed":
            return campaign
        for number, fault in enumerate(faults, start=1):
            result = _try_fault(workspace, fault, engine, out, timeout_s if timeout_s is not None else time_limit(control, fault))
            campaign.results.append(result)
            saved(campaign)
            clock.say(f"{number}/{len(faults)} {fault.name}: {result.verdict} in {result.run.seconds:.0f} s {result.run.first_failure or result.run.detail}".rstrip())
    return campaign


def time_limit(control: BehaveRun, fault: Fault) -> float:
    """Twice what the fault's feature files took in the control, plus two minutes to start the gateway: more is a hang."""
    paths = {feature.split(":", 1)[0] for feature in fault.features}
    return 2 * sum(control.feature_seconds.get(path, control.seconds) for path in paths) + STARTUP_ALLOWANCE_S


def _unplanted(fault: Fault, problems: Sequence[str]) -> FaultResult:
    return FaultResult(fault, "error", BehaveRun("error", 0.0, detail=f"cannot be planted: {'; '.join(problems)}"))


def _try_fault(workspace: Workspace, fault: Fault, engine: str, out: Path, limit_s: float) -> FaultResult:
    try:
        copy = workspace.copy(fault)
    except CatalogueError as error:
        # The snapshot differs from the tree the catalogue was checked on: someone edited the file since.
        return FaultResult(fault, "error", BehaveRun("error", 0.0, detail=str(error)))
    try:
        run = run_behave(copy, fault.features, engine, out / "logs" / f"{fault.name}.log", limit_s)
    finally:
        workspace.discard(copy)
    return FaultResult(fault, VERDICTS[run.outcome], run)
