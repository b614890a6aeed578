"""How long an alert may take at each stage, derived from the configured intervals alone."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertTiming:
    """Upper bounds for an alert's path: condition -> pending -> firing -> Alertmanager -> webhook -> resolved.

    Prometheus sees a change at its next scrape (one scrape interval, plus the scrape timeout for a
    target that hangs), the rule sees it at its next evaluation, a pending alert fires once ``for``
    has passed at an evaluation, Alertmanager sends a new group after ``group_wait`` and news of an
    existing group (another alert, a resolution) at the next ``group_interval``. ``rounds`` more scrape and
    evaluation rounds are allowed for processes that a shared CPU schedules late.
    """

    scrape_interval_s: float
    scrape_timeout_s: float
    evaluation_interval_s: float
    for_s: float
    group_wait_s: float
    group_interval_s: float
    window_s: float = 0.0
    """The rule's longest range window: a condition that ends still holds until its last sample leaves the window."""
    rounds: int = 3

    @property
    def slack_s(self) -> float:
        """Room for late scheduling: whole scrape-and-evaluation rounds."""
        return self.rounds * (self.scrape_interval_s + self.evaluation_interval_s)

    @property
    def seen_s(self) -> float:
        """From the condition starting to the rule evaluating true."""
        return self.scrape_interval_s + self.scrape_timeout_s + self.evaluation_interval_s

    @property
    def pending_within_s(self) -> float:
        """From the condition starting to the alert pending."""
        return self.seen_s + self.slack_s

    @property
    def firing_within_s(self) -> float:
        """From the alert pending to the alert firing."""
        return self.for_s + self.evaluation_interval_s + self.slack_s

    @property
    def notified_within_s(self) -> float:
        """From the alert firing to its notification at the webhook: group_wait for a new group, group_interval
        for an alert that joins a group Alertmanager already has."""
        return self.evaluation_interval_s + max(self.group_wait_s, self.group_interval_s) + self.slack_s

    @property
    def resolved_within_s(self) -> float:
        """From the condition ending to the resolved notification at the webhook."""
        return self.seen_s + self.window_s + self.group_interval_s + self.slack_s

    def describe(self) -> str:
        """The inputs and the bounds, for the report."""
        return (
            f"scrape {self.scrape_interval_s:g} s (timeout {self.scrape_timeout_s:g} s), evaluation {self.evaluation_interval_s:g} s, "
            f"for {self.for_s:g} s, window {self.window_s:g} s, group_wait {self.group_wait_s:g} s, group_interval {self.group_interval_s:g} s, "
            f"slack {self.slack_s:g} s -> pending within {self.pending_within_s:g} s, firing within {self.firing_within_s:g} s "
            f"more, at the webhook within {self.notified_within_s:g} s more, resolved within {self.resolved_within_s:g} s"
        )
