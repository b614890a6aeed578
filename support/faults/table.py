"""The results of a catalogue run: table.md for people, results.json for tools."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from support.faults.campaign import Campaign, FaultResult
from support.faults.run import BehaveRun

TABLE_NAME = "table.md"
JSON_NAME = "results.json"


def write_results(campaign: Campaign, out: Path) -> None:
    """Both files, rewritten whole, so an interrupted run leaves what it had."""
    out.mkdir(parents=True, exist_ok=True)
    (out / TABLE_NAME).write_text(table(campaign), encoding="utf-8")
    (out / JSON_NAME).write_text(json.dumps(as_json(campaign), indent=2) + "\n", encoding="utf-8")


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _control_line(campaign: Campaign) -> str:
    control = campaign.control
    features = counted(len({feature.split(":", 1)[0] for feature in campaign.control_features}), "feature file")
    if control is None:
        return f"Control (no fault, {features}): not run."
    said = f": {control.first_failure or control.detail}" if control.outcome != "passed" else ""
    return f"Control (no fault, {features}): {control.outcome}, {control.scenarios} scenarios in {control.seconds:.0f} s{said}."


def kill_rate_line(campaign: Campaign) -> str:
    killed, survived, errors = (campaign.count(verdict) for verdict in ("killed", "survived", "error"))
    rate = campaign.kill_rate
    shown = "n/a" if rate is None else f"{rate:.0%}"
    return f"Kill rate: {shown} ({killed} killed / {killed + survived} killed or survived); {counted(errors, 'error')}, counted apart."


def table(campaign: Campaign) -> str:
    """A Markdown table of the faults, then the kill rate and the control's result."""
    lines = [
        f"# Planted faults, engine {campaign.engine}, {campaign.started:%Y-%m-%d %H:%M} UTC",
        "",
        "| fault | area | what it breaks | result | first failing scenario | seconds |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for result in campaign.results:
        run = result.run
        lines.append(
            f"| {_cell(result.fault.name)} | {result.fault.area} | {_cell(result.fault.breaks)} | {result.verdict} "
            f"| {_cell(run.first_failure or run.detail)} | {run.seconds:.0f} |"
        )
    lines += ["", kill_rate_line(campaign), "", _control_line(campaign), ""]
    return "\n".join(lines)


def _run_json(run: BehaveRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    timed = {path: round(seconds, 1) for path, seconds in run.feature_seconds.items()}
    return {**dataclasses.asdict(run), "seconds": round(run.seconds, 1), "feature_seconds": timed}


def _result_json(result: FaultResult) -> dict[str, Any]:
    fault = result.fault
    return {
        "name": fault.name, "area": fault.area, "breaks": fault.breaks, "file": fault.file, "features": list(fault.features),
        "verdict": result.verdict, "run": _run_json(result.run),
    }  # fmt: skip


def as_json(campaign: Campaign) -> dict[str, Any]:
    """Everything the table shows, and the files and features of each fault."""
    return {
        "engine": campaign.engine,
        "started": campaign.started.isoformat(timespec="seconds"),
        "control": {"features": campaign.control_features, "run": _run_json(campaign.control)},
        "faults": [_result_json(result) for result in campaign.results],
        "counts": {verdict: campaign.count(verdict) for verdict in ("killed", "survived", "error")},
        "kill_rate": campaign.kill_rate,
    }
