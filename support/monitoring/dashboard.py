"""The stack's Grafana dashboard as data: its panels' queries, with Grafana's variables filled in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.monitoring.config import STACK_MONITORING, format_duration

DASHBOARD = STACK_MONITORING / "grafana" / "dashboards" / "mistralrs-stack.json"
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_HISTOGRAM = re.compile(r"\b(\w+)_bucket\b")


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel."""

    panel: str
    ref_id: str
    expr: str

    @property
    def name(self) -> str:
        """How a reader finds it on the dashboard."""
        return f"{self.panel} / {self.ref_id}"


def load_dashboard(path: Path = DASHBOARD) -> dict[str, Any]:
    """The dashboard JSON."""
    dashboard: dict[str, Any] = json.loads(path.read_text())
    return dashboard


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        # A collapsed row keeps its panels inside itself.
        yield from _panels(panel.get("panels", []))


def panel_queries(dashboard: Mapping[str, Any]) -> list[PanelQuery]:
    """Every visible query of every panel, rows included."""
    return [
        PanelQuery(str(panel.get("title", panel.get("id"))), str(target.get("refId", "")), str(target["expr"]))
        for panel in _panels(dashboard.get("panels", []))
        for target in panel.get("targets", [])
        if "expr" in target and not target.get("hide")
    ]


def panel_titles(dashboard: Mapping[str, Any]) -> list[str]:
    """The titles of the panels that show data (rows left out)."""
    return [str(panel.get("title")) for panel in _panels(dashboard.get("panels", [])) if panel.get("type") != "row"]


def template_variables(dashboard: Mapping[str, Any]) -> list[str]:
    """The names of the dashboard's template variables."""
    return [str(variable["name"]) for variable in dashboard.get("templating", {}).get("list", [])]


def rate_interval(scrape_interval_s: float, interval_s: float) -> str:
    """Grafana's $__rate_interval: the larger of $__interval plus one scrape and four scrapes."""
    return format_duration(max(interval_s + scrape_interval_s, 4 * scrape_interval_s))


def substitute(expr: str, variables: Mapping[str, str]) -> str:
    """The expression with $name, ${name} and [[name]] replaced; an unknown variable is an error."""

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name not in variables:
            raise KeyError(f"the query uses ${name}, which has no value: {expr}")
        return variables[name]

    return _VARIABLE.sub(value, expr)


def histograms(queries: list[PanelQuery]) -> list[str]:
    """The histograms (names without _bucket) the queries take quantiles of."""
    return sorted({match.group(1) for query in queries for match in _HISTOGRAM.finditer(query.expr)})


def peaks(series: Mapping[str, list[float]]) -> list[float]:
    """The largest number of each series that has one."""
    return [max(values) for values in series.values() if values]


def shows_traffic(expectation: str, series: Mapping[str, list[float]], bad_share: float, tolerance: float) -> str | None:
    """None when a query's result is what the traffic should show, otherwise what is wrong.

    "a value": a series with a number (a gauge that reads 0 at rest, such as the queue). "a value above zero": a
    series whose largest number is above 0 (a flat 0 means the query saw nothing). "the share of bad requests":
    a ratio within the tolerance of the share the traffic sent.
    """
    found = peaks(series)
    if not found:
        return "no series with data"
    if expectation == "a value":
        return None
    if expectation == "a value above zero":
        return None if max(found) > 0 else f"only zeros (peaks {found})"
    if expectation == "the share of bad requests":
        ratios = [values[-1] for values in series.values() if values]
        near = [ratio for ratio in ratios if abs(ratio - bad_share) <= tolerance]
        return None if near else f"ratio {ratios}, not within {tolerance} of the {bad_share} sent"
    raise ValueError(f"unknown expectation {expectation!r}")
