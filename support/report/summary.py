"""summary.md for a run: passed, failed and skipped per feature, with skip reasons and failures.

Reads the Allure results the run wrote, so it sees exactly what the report shows. Usage:

    python -m support.report.summary RESULTS_DIR --output summary.md [--note TEXT ...]

Exits 0 only when at least one scenario ran, every scenario that ran passed, and every requested
area (``--area``, a folder under features/) ran at least one scenario: an area whose scenarios were
all skipped, or none selected, is *not verified*, and the verdict says so instead of PASSED.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from support.report.allure import SKIP_PREFIX
from support.report.labels import AREAS

STATUSES = ("passed", "failed", "broken", "skipped")


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario (or outline row) as Allure recorded it."""

    feature: str
    name: str
    status: str
    message: str
    skip_reason: str
    area: str = ""
    """The epic label: the area's title, e.g. "Ollama API"."""


def _label(result: dict[str, object], name: str) -> str:
    labels = result.get("labels")
    if not isinstance(labels, list):
        return ""
    return next((str(label.get("value", "")) for label in labels if label.get("name") == name), "")


def read_results(results_dir: Path) -> list[ScenarioResult]:
    """Every scenario result in an Allure results directory."""
    results = []
    for path in sorted(results_dir.glob("*-result.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        details = raw.get("statusDetails") or {}
        results.append(
            ScenarioResult(
                feature=_label(raw, "feature") or "(no feature)",
                name=str(raw.get("name", "")),
                status=str(raw.get("status", "unknown")),
                message=str(details.get("message") or "").strip(),
                skip_reason=str(raw.get("description") or "").removeprefix(SKIP_PREFIX),
                area=_label(raw, "epic"),
            )
        )
    return results


def passed(results: Sequence[ScenarioResult]) -> bool:
    """At least one scenario ran, and every scenario that ran passed."""
    ran = [r for r in results if r.status != "skipped"]
    return bool(ran) and all(r.status == "passed" for r in ran)


def unverified(results: Sequence[ScenarioResult], areas: Iterable[str]) -> dict[str, str]:
    """Requested areas (folders under features/) in which no scenario ran, each with why."""
    found: dict[str, str] = {}
    for folder in areas:
        title = AREAS.get(folder, folder)
        selected = [r for r in results if r.area == title]
        if not selected:
            found[title] = "no scenario was selected (all left out by the tags or the paths)"
        elif all(r.status == "skipped" for r in selected):
            found[title] = f"all {len(selected)} selected scenarios were skipped"
    return found


def verdict(results: Sequence[ScenarioResult], areas: Iterable[str] = ()) -> str:
    """PASSED, FAILED, or NOT VERIFIED when everything that ran passed but a requested area ran nothing."""
    if not passed(results):
        return "FAILED"
    return "NOT VERIFIED" if unverified(results, areas) else "PASSED"


def _headline(message: str, limit: int = 200) -> str:
    # Hamcrest puts the verdict ("Expected: ... but: ...") after the request and response.
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    verdict = [line for line in lines if line.startswith(("Expected:", "but:"))]
    line = " ".join(verdict) if verdict else (lines[0] if lines else "")
    return line if len(line) <= limit else line[:limit] + "..."


def render(
    results: Sequence[ScenarioResult], title: str, notes: Iterable[str], not_run: Sequence[str] = (), areas: Sequence[str] = ()
) -> str:
    """The summary as Markdown; ``not_run`` names requested suites that have no features yet, ``areas`` the requested areas."""
    by_feature: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        by_feature[result.feature][result.status] += 1
    lines = [f"# {title}", "", f"**Verdict: {verdict(results, areas)}**"]
    if not_run:
        lines[-1] += f" (these requested suites have no features yet and did NOT run: {', '.join(not_run)})"
    missing = unverified(results, areas)
    if missing:
        lines += ["", "## Not verified", ""]
        lines += [f"- {area}: {why}" for area, why in missing.items()]
    lines.append("")
    lines += [f"- {note}" for note in notes]
    if not results:
        lines += ["", "No scenario ran; behave.log says why."]
    lines += ["", "| Feature | " + " | ".join(s.capitalize() for s in STATUSES) + " |"]
    lines += ["|---|" + "---|" * len(STATUSES)]
    for feature in sorted(by_feature):
        counts = by_feature[feature]
        lines.append(f"| {feature} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    total = Counter(r.status for r in results)
    lines.append("| **Total** | " + " | ".join(f"**{total[s]}**" for s in STATUSES) + " |")
    failures = [r for r in results if r.status in ("failed", "broken")]
    if failures:
        lines += ["", "## Failures", ""]
        lines += [f"- {r.feature} / {r.name} ({r.status}): {_headline(r.message)}" for r in failures]
    skipped = [r for r in results if r.status == "skipped"]
    if skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- {r.feature} / {r.name}: {r.skip_reason or 'no reason recorded'}" for r in skipped]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write summary.md and return the run's verdict as an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--title", default="Test summary")
    parser.add_argument("--note", action="append", default=[], help="a line for the top of the summary")
    parser.add_argument("--not-run", action="append", default=[], help="a requested suite without features")
    parser.add_argument("--area", action="append", default=[], help="a requested area (folder under features/) that must run something")
    args = parser.parse_args(argv)
    results = read_results(args.results_dir) if args.results_dir.is_dir() else []
    args.output.write_text(render(results, args.title, args.note, args.not_run, args.area), encoding="utf-8")
    return 0 if verdict(results, args.area) == "PASSED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
