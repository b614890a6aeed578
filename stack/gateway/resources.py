"""Memory and CPU of the runner processes, read from /proc when Prometheus scrapes: the gateway's own process
metrics leave them out, since each loaded model lives in a process of its own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def usage(pid: int) -> tuple[int, float] | None:
    """Resident bytes and CPU seconds of a process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name start at field 3 (state): utime is 14, stime 15, rss 24.
    fields = stat.rpartition(")")[2].split()
    return int(fields[21]) * PAGE_BYTES, (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


class RunnerResources(Collector):
    """`gateway_runner_resident_memory_bytes` and `gateway_runner_cpu_seconds_total`, per model and engine."""

    def __init__(self, engine: str, runners: Callable[[], Iterable[tuple[str, int]]]) -> None:
        self._engine = engine
        self._runners = runners

    def collect(self) -> Iterator[Metric]:
        memory = GaugeMetricFamily("gateway_runner_resident_memory_bytes", "Resident memory of each model's runner process.",
                                   labels=["model", "engine"])
        cpu = CounterMetricFamily("gateway_runner_cpu_seconds", "CPU time used by each model's runner process.", labels=["model", "engine"])
        for model, pid in self._runners():
            measured = usage(pid)
            if measured is not None:
                memory.add_metric([model, self._engine], measured[0])
                cpu.add_metric([model, self._engine], measured[1])
        yield memory
        yield cpu
