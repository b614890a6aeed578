"""CPU of a process over a window, as Prometheus stored it and as /proc reports it, idle and busy.

Each reading is taken once the process is idle again and Prometheus has scraped it since, so the scrape's moment and
the /proc read's moment differ by idle time only and the two sources can be compared closely.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stack.gateway.resources import usage
from support.monitoring.accuracy import read, settle
from support.monitoring.monitor import Monitoring


@dataclass(frozen=True)
class CpuReading:
    """CPU seconds of one process: Prometheus's stored value and /proc's, and when."""

    metric_s: float
    proc_s: float
    at: float


@dataclass(frozen=True)
class CpuWindow:
    """The rise of both between two readings."""

    before: CpuReading
    after: CpuReading

    @property
    def seconds(self) -> float:
        """Wall time between the readings."""
        return self.after.at - self.before.at

    @property
    def metric_s(self) -> float:
        """CPU seconds the metric rose by."""
        return self.after.metric_s - self.before.metric_s

    @property
    def proc_s(self) -> float:
        """CPU seconds /proc rose by."""
        return self.after.proc_s - self.before.proc_s

    @property
    def cores(self) -> float:
        """Cores used on average, by the metric."""
        return self.metric_s / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        """The figures, for the report."""
        return (f"{self.seconds:.1f} s: metric +{self.metric_s:.3f} CPU s, /proc +{self.proc_s:.3f} CPU s "
                f"({self.cores:.3f} cores)")


def cpu_reading(monitoring: Monitoring, query: str, pid: int) -> CpuReading:
    """After the next scrape: the query's value in Prometheus and the process's CPU seconds in /proc."""
    settle(monitoring)
    measured = usage(pid)
    if measured is None:
        raise AssertionError(f"process {pid} is gone")
    return CpuReading(read(monitoring, query).value, measured[1], time.time())


def cpu_window(monitoring: Monitoring, query: str, pid: int, activity: Callable[[], object]) -> CpuWindow:
    """Readings before and after an activity (sleeping, for an idle baseline, or generating)."""
    before = cpu_reading(monitoring, query, pid)
    activity()
    return CpuWindow(before, cpu_reading(monitoring, query, pid))
