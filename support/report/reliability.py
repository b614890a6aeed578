"""results/<timestamp>/reliability.md: bad inputs tried, faults survived, load held, nothing lost.

Each scenario records its figures as it ends; the figures are kept in reliability.json beside the page and the page
is written again from all of them, so a run that stops early still leaves what it measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SECTIONS = {
    "bad_input": "Bad inputs tried",
    "faults": "Faults survived",
    "load": "Load held",
    "nothing_lost": "Nothing lost",
}


def record(results_dir: Path, section: str, name: str, figures: dict[str, Any]) -> Path:
    """Keep one scenario's figures under a section and rewrite reliability.md; the page's path."""
    if section not in SECTIONS:
        raise ValueError(f"unknown reliability section {section!r}; known: {', '.join(SECTIONS)}")
    store = results_dir / "reliability.json"
    kept: dict[str, dict[str, Any]] = json.loads(store.read_text()) if store.exists() else {}
    kept.setdefault(section, {})[name] = figures
    results_dir.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(kept, indent=2))
    page = results_dir / "reliability.md"
    page.write_text(render(kept))
    return page


def render(kept: dict[str, dict[str, Any]]) -> str:
    """The page: one table per section, a row per scenario, its figures as `key: value`."""
    lines = ["# Reliability figures", ""]
    for section, title in SECTIONS.items():
        rows = kept.get(section) or {}
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["Not measured in this run.", ""]
            continue
        lines += ["| scenario | figures |", "|---|---|"]
        for name, figures in sorted(rows.items()):
            shown = "; ".join(f"{key}: {_shown(value)}" for key, value in figures.items())
            lines.append(f"| {_cell(name)} | {_cell(shown)} |")
        lines.append("")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_shown(item)}" for key, item in value.items())
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
