"""Why a target cannot run a monitoring scenario (None when it can); behind the @needs.* tags."""

from __future__ import annotations

from support.monitoring.processes import ALERTMANAGER, PROMETHEUS, find_binary
from support.settings import Settings


def prometheus(settings: Settings) -> str | None:
    """A Prometheus to query: the user's by URL (or the compose project's), the stack's image, or Debian's binary for the suite to start."""
    if settings.target in ("external", "compose"):
        return None if settings.prometheus_url else f"needs Prometheus: the target is {settings.target} and no Prometheus was given or found"
    if settings.target == "docker":
        return None
    if find_binary(PROMETHEUS) is None:
        return "needs Prometheus: the prometheus binary is not on PATH (make monitoring-tools)"
    return None


def alertmanager(settings: Settings) -> str | None:
    """An Alertmanager: the user's by URL (or the compose project's), the stack's image, or Debian's binary for the suite to start."""
    if settings.target in ("external", "compose"):
        return None if settings.alertmanager_url else f"needs Alertmanager: the target is {settings.target} and no Alertmanager was given or found"
    if settings.target == "docker":
        return None
    if find_binary(*ALERTMANAGER) is None:
        return "needs Alertmanager: prometheus-alertmanager is not on PATH (make monitoring-tools)"
    return None


def grafana(settings: Settings) -> str | None:
    """A Grafana, which only the user can provide."""
    return None if settings.grafana_url else "needs Grafana: run with -D grafana_url=http://host:3000 (none can be installed here)"
