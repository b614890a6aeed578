"""Memory and CPU of the servers under test, sampled during the run.

A sampler reads one target's usage now: `/proc` serves local processes (a gateway with its runner children, or a
runner alone); a stack driver's service usage serves containers (docker stats: the cgroup, runners included).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from stack.gateway.resources import usage
from support.runners import child_pids
from support.stacks.base import Stack


@dataclass(frozen=True)
class Usage:
    """Resident bytes and CPU seconds used so far, summed over a target's processes."""

    rss_bytes: int
    cpu_seconds: float


class ResourceSampler(Protocol):
    """Reads a target's current usage; None when there is nothing to read (the process is gone)."""

    def read(self) -> Usage | None: ...


class ProcessTree:
    """A local process and its children (a gateway and its runners), read from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def read(self) -> Usage | None:
        """Sum of the process's and its children's usage."""
        readings = [u for u in (usage(pid) for pid in [self.pid, *child_pids(self.pid)]) if u is not None]
        if not readings:
            return None
        return Usage(sum(r[0] for r in readings), sum(r[1] for r in readings))


class Combined:
    """Several samplers read as one target (a raw engine's runner per model)."""

    def __init__(self, samplers: list[ProcessTree]) -> None:
        self.samplers = samplers

    def read(self) -> Usage | None:
        """The sum of what each reads."""
        readings = [u for u in (s.read() for s in self.samplers) if u is not None]
        return Usage(sum(u.rss_bytes for u in readings), sum(u.cpu_seconds for u in readings)) if readings else None


class ServiceSampler:
    """A service of a stack driver, read as the driver measures it (docker stats for a container)."""

    def __init__(self, stack: Stack, service: str) -> None:
        self.stack = stack
        self.service = service

    def read(self) -> Usage | None:
        """The service's usage now; None while it cannot be read (stopped, or its engine unreachable)."""
        try:
            measured = self.stack.service_usage(self.service)
        except Exception:  # noqa: BLE001 - a sample that cannot be taken is a missing sample, never a failed run
            return None
        return Usage(measured.memory_bytes, measured.cpu_seconds)


def machine_busy_seconds(stat: Path = Path("/proc/stat")) -> float | None:
    """CPU seconds the whole machine has spent busy since boot (every state but idle and iowait); None off Linux."""
    try:
        fields = stat.read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal; guest time is already inside user and nice.
    ticks = [int(x) for x in fields[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def contention(busy_seconds: float, own_seconds: float, wall_seconds: float, cores: int) -> dict[str, float]:
    """How much of the machine went to work that was neither the servers under test nor the load generator.

    The load average cannot tell: during a benchmark it is mostly the benchmark's own engines.
    """
    other = max(busy_seconds - own_seconds, 0.0)
    mean = other / wall_seconds if wall_seconds > 0 else 0.0
    return {"busy_cores": busy_seconds / wall_seconds if wall_seconds > 0 else 0.0, "own_cores": own_seconds / wall_seconds if wall_seconds > 0 else 0.0,
            "other_cores": mean, "other_share": mean / cores if cores else 0.0, "wall_seconds": wall_seconds}


@dataclass
class Series:
    """One target's samples: (seconds since the monitor started, usage)."""

    samples: list[tuple[float, Usage]]

    def summary(self) -> dict[str, float]:
        """Peak and last resident memory, CPU seconds used during the sampling and the mean number of cores busy."""
        if not self.samples:
            return {}
        (t0, first), (t1, last) = self.samples[0], self.samples[-1]
        cpu = last.cpu_seconds - first.cpu_seconds
        return {"peak_rss_bytes": max(u.rss_bytes for _, u in self.samples), "last_rss_bytes": last.rss_bytes,
                "cpu_seconds": cpu, "mean_cores": cpu / (t1 - t0) if t1 > t0 else 0.0, "samples": len(self.samples)}


class ResourceMonitor:
    """Samples every target's usage in a background thread at a fixed interval until stopped."""

    def __init__(self, samplers: dict[str, ResourceSampler], interval_s: float = 0.5) -> None:
        self.samplers = samplers
        self.interval_s = interval_s
        self.series = {name: Series([]) for name in samplers}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="resource-monitor", daemon=True)
        self._start = time.monotonic()

    def _run(self) -> None:
        while True:
            now = time.monotonic() - self._start
            for name, sampler in self.samplers.items():
                reading = sampler.read()
                if reading is not None:
                    self.series[name].samples.append((now, reading))
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> None:
        """Begin sampling."""
        self._start = time.monotonic()
        self._thread.start()

    def stop(self) -> dict[str, dict[str, float]]:
        """Stop sampling and summarise each target."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return {name: series.summary() for name, series in self.series.items()}
