"""Following one alert along its path: Prometheus pending and firing, Alertmanager, the webhook."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from support.monitoring.monitor import Monitoring
from support.monitoring.timing import AlertTiming
from support.monitoring.webhook import Notification

_POLL_S = 0.1


@dataclass(frozen=True)
class AlertPath:
    """When (time.time()) an alert was first seen pending and firing, counted from a start."""

    alertname: str
    started_at: float
    pending_at: float | None
    firing_at: float | None

    def describe(self) -> str:
        """The delays, for assertion messages and the report."""

        def since(moment: float | None, origin: float | None) -> str:
            return "never" if moment is None or origin is None else f"{moment - origin:.1f} s"

        return (f"{self.alertname}: pending after {since(self.pending_at, self.started_at)}, "
                f"firing after {since(self.firing_at, self.started_at)} from the start")


def follow(monitoring: Monitoring, alertname: str, started_at: float, timing: AlertTiming) -> AlertPath:
    """Poll Prometheus until the alert fires or every bound has passed; record when each state began.

    The pending moment is Prometheus's own (ALERTS_FOR_STATE holds when the alert became active),
    so it is exact even when polling began late; the firing moment is when polling first saw it.
    An alert without ``for:`` fires at its first evaluation and may never be seen pending.
    """
    deadline = started_at + timing.pending_within_s + timing.firing_within_s
    pending_at = firing_at = None
    # At least one look, however late: a step that took long to start the condition may find the alert firing.
    while True:
        state = monitoring.prometheus.alert_state(alertname)
        now = time.time()
        if state in ("pending", "firing") and pending_at is None:
            pending_at = now
        if state == "firing":
            firing_at = now
            break
        if now >= deadline:
            break
        time.sleep(_POLL_S)
    active_since = monitoring.prometheus.alert_active_since(alertname) if firing_at is not None else None
    if active_since is not None and pending_at is not None:
        pending_at = min(pending_at, active_since)
    return AlertPath(alertname, started_at, pending_at, firing_at)


def wait_inactive(monitoring: Monitoring, alertname: str, timing: AlertTiming, forget: bool = False) -> str:
    """Wait, as long as it takes the stack to notice a change (and, with `forget`, for the rule's window to let go of
    what came before), for the alert to be neither pending nor firing; its state then."""
    deadline = time.time() + timing.seen_s + timing.slack_s + (timing.window_s if forget else 0.0)
    while True:
        state = monitoring.prometheus.alert_state(alertname)
        if state == "inactive" or time.time() > deadline:
            return state
        time.sleep(_POLL_S)


def start_condition(monitoring: Monitoring, alertname: str) -> float:
    """The moment a scenario starts the alert's condition, once the alert is inactive: an alert already pending or
    firing would prove nothing. An AssertionError when it stays active."""
    state = wait_inactive(monitoring, alertname, monitoring.timing(alertname))
    if state != "inactive":
        raise AssertionError(f"{alertname} was already {state} before the scenario made it happen")
    return time.time()


def active_alerts(monitoring: Monitoring) -> dict[str, str]:
    """Every alert Prometheus holds now, pending or firing, with its state."""
    states: dict[str, str] = {}
    for sample in monitoring.prometheus.vector("ALERTS"):
        name, state = sample.labels.get("alertname", ""), sample.labels.get("alertstate", "")
        states[name] = "firing" if "firing" in (state, states.get(name)) else state
    return states


def quiet_period_s(monitoring: Monitoring, alertnames: list[str]) -> float:
    """Long enough for any alert the traffic set off to fire: a scrape and an evaluation to see it, the rule's range
    window to hold it, and its ``for:``."""
    return max(timing.seen_s + timing.window_s + timing.for_s for timing in map(monitoring.timing, alertnames))


def alerts_seen_while(monitoring: Monitoring, seconds: float, work: Callable[[], object]) -> dict[str, str]:
    """Every alert seen pending or firing while `work` runs over and over for that long, with its worst state."""
    seen: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        work()
        for name, state in active_alerts(monitoring).items():
            seen[name] = "firing" if "firing" in (state, seen.get(name)) else state
    return seen


def held_by_alertmanager(monitoring: Monitoring, alertname: str, timeout_s: float) -> list[dict[str, object]]:
    """The alerts of that name Alertmanager holds, waiting up to timeout_s for at least one."""
    if monitoring.alertmanager is None:
        raise RuntimeError("no Alertmanager to ask")
    deadline = time.monotonic() + timeout_s
    while True:
        alerts = monitoring.alertmanager.alerts(alertname)
        if alerts or time.monotonic() > deadline:
            return alerts
        time.sleep(_POLL_S)


def notification(monitoring: Monitoring, alertname: str, status: str, after: float, timeout_s: float) -> Notification | None:
    """The first webhook notification about the alert with that status that arrived after a moment."""
    if monitoring.webhook is None:
        raise RuntimeError("no webhook receiver: the suite did not start this Alertmanager")
    return monitoring.webhook.wait_for(
        lambda n: n.received_at >= after and n.status == status and alertname in n.alertnames(), timeout_s)
