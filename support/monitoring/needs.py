"""Why a target cannot run a monitoring scenario (None when it can); behind the @needs.* tags."""

from __future__ import annotations

from support.monitoring.processes import ALERTMANAGER, PROMETHEUS, find_binary
from support.settings import Settings


def prometheus(settings: Settings) -> str | None:
    """A Prometheus to query: the user's by URL, or Debian's binary for the suite to start."""
    if settings.target == "external":
        return None if settings.prometheus_url else "needs Prometheus: the target is external and no -D prometheus_url was given"
    if find_binary(PROMETHEUS) is None:
        return "needs Prometheus: the prometheus binary is not on PATH (make monitoring-tools)"
    return None


def alertmanager(settings: Settings) -> str | None:
    """An Alertmanager: the user's by URL, or Debian's binary for the suite to start."""
    if settings.target == "external":
        return None if settings.alertmanager_url else "needs Alertmanager: the target is external and no -D alertmanager_url was given"
    if find_binary(*ALERTMANAGER) is None:
        return "needs Alertmanager: prometheus-alertmanager is not on PATH (make monitoring-tools)"
    return None


def grafana(settings: Settings) -> str | None:
    """A Grafana, which only the user can provide."""
    return None if settings.grafana_url else "needs Grafana: run with -D grafana_url=http://host:3000 (none can be installed here)"
