"""Rules rendered for one scenario: an alert's threshold set from what the scenario measured, Prometheus reloaded.

The stack's rules keep thresholds for a real host (5 s to a first token, 8 GiB resident); a test that must cross one
on a small model sets it between two figures it measured, so the crossing is the scenario's doing and nothing else's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.monitoring.config import set_rule_threshold
from support.monitoring.monitor import Monitoring

_RELOAD_WITHIN_S = 10.0
_TRAILING_NUMBER = re.compile(r"[<>]=?\s*([0-9.]+(?:e[+-]?[0-9]+)?)\s*$")


@dataclass(frozen=True)
class RenderedRules:
    """The rule files as they were before a scenario changed them, to be put back afterwards."""

    monitoring: Monitoring
    saved: dict[Path, str]

    def restore(self) -> None:
        """Write the saved rules back and reload Prometheus."""
        for path, text in self.saved.items():
            path.write_text(text)
        reload_rules(self.monitoring)


def _rules_dir(monitoring: Monitoring) -> Path:
    if monitoring.config is None:
        raise RuntimeError("only the monitoring the suite started has rule files a scenario may render")
    return monitoring.config.prometheus_yml.parent


def set_threshold(monitoring: Monitoring, alertname: str, threshold: float) -> tuple[str, RenderedRules]:
    """Render the alert with a new threshold and reload Prometheus; the expression it now evaluates, and how to undo it."""
    directory = _rules_dir(monitoring)
    assert monitoring.config is not None
    saved = RenderedRules(monitoring, {path: path.read_text() for path in monitoring.config.rule_files})
    set_rule_threshold(directory, alertname, threshold)
    reload_rules(monitoring)
    return wait_for_threshold(monitoring, alertname, threshold), saved


def reload_rules(monitoring: Monitoring) -> None:
    """POST /-/reload: Prometheus reads its configuration and rule files again."""
    response = httpx.post(f"{monitoring.prometheus.url}/-/reload", timeout=_RELOAD_WITHIN_S)
    if response.status_code != 200:
        raise RuntimeError(f"Prometheus refused to reload: {response.status_code} {response.text}")


def rule_queries(monitoring: Monitoring) -> dict[str, str]:
    """The expression Prometheus evaluates for each alerting rule, from /api/v1/rules."""
    response = httpx.get(f"{monitoring.prometheus.url}/api/v1/rules", params={"type": "alert"}, timeout=_RELOAD_WITHIN_S)
    response.raise_for_status()
    groups: Sequence[dict[str, object]] = response.json()["data"]["groups"]
    return {str(rule["name"]): str(rule["query"]) for group in groups for rule in group["rules"]}  # type: ignore[attr-defined]


def served_threshold(query: str) -> float | None:
    """The number a rule's expression ends by comparing with, as Prometheus prints it (1e+09, 0.25)."""
    match = _TRAILING_NUMBER.search(query)
    return float(match.group(1)) if match else None


def wait_for_threshold(monitoring: Monitoring, alertname: str, threshold: float) -> str:
    """The alert's expression once Prometheus evaluates it with that threshold; an error if it never does."""
    deadline = time.monotonic() + _RELOAD_WITHIN_S
    while True:
        query = rule_queries(monitoring).get(alertname, "")
        served = served_threshold(query)
        if served is not None and abs(served - threshold) <= 1e-9 * max(1.0, abs(threshold)):
            return query
        if time.monotonic() > deadline:
            raise RuntimeError(f"Prometheus still evaluates {alertname} as {query!r}, not with threshold {threshold!r}")
        time.sleep(0.1)
