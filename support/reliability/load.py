"""A soak: clients asking without pause for a while, each request timed, the gateway's memory sampled."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Record:
    """One request: when it started (seconds into the run), how long it took, and whether it succeeded."""

    started_s: float
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Soak:
    """Every request of the run and the gateway's resident memory over time."""

    concurrency: int
    duration_s: float
    records: list[Record] = field(default_factory=list)
    memory: list[tuple[float, int]] = field(default_factory=list)

    @property
    def errors(self) -> list[Record]:
        return [record for record in self.records if not record.ok]

    def fifth(self, which: int) -> list[float]:
        """Latencies of the requests that started in the first (0) or last (4) fifth of the run."""
        low, high = self.duration_s * which / 5, self.duration_s * (which + 1) / 5
        return [record.seconds for record in self.records if record.ok and low <= record.started_s < high]

    def memory_growth(self) -> int:
        """Resident bytes at the end less the median of the first fifth, so start-up noise does not count."""
        if not self.memory:
            return 0
        early = [rss for at, rss in self.memory if at < self.duration_s / 5] or [self.memory[0][1]]
        return self.memory[-1][1] - int(statistics.median(early))


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def soak(base_url: str, body: dict[str, object], concurrency: int, duration_s: float,
         memory_of: Callable[[], int], request_timeout_s: float) -> Soak:
    """Keep `concurrency` clients busy with non-streamed generations for `duration_s`."""
    run = Soak(concurrency, duration_s)
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + duration_s

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=request_timeout_s) as http:
            while time.monotonic() < stop_at:
                begun = time.monotonic()
                try:
                    response = http.post("/api/generate", json=body)
                    ok = response.status_code == 200 and bool(response.json().get("done"))
                    detail = "" if ok else f"{response.status_code} {response.text[:200]}"
                except (httpx.HTTPError, ValueError) as error:
                    ok, detail = False, f"{type(error).__name__}: {error}"
                with lock:
                    run.records.append(Record(begun - started, time.monotonic() - begun, ok, detail))

    threads = [threading.Thread(target=client, name=f"soak-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        run.memory.append((time.monotonic() - started, memory_of()))
        time.sleep(1.0)
    return run


@dataclass
class Burst:
    """Requests sent at once past the queue's bound: how each answered."""

    statuses: list[int] = field(default_factory=list)
    busy_texts: list[str] = field(default_factory=list)


def burst(base_url: str, body: dict[str, object], count: int, timeout_s: float) -> Burst:
    """`count` non-streamed generations sent together."""
    result = Burst()
    lock = threading.Lock()
    gate = threading.Barrier(count)

    def one() -> None:
        gate.wait()
        try:
            response = httpx.post(f"{base_url}/api/generate", json=body, timeout=timeout_s)
            status, text = response.status_code, response.text
        except httpx.HTTPError as error:
            status, text = 0, f"{type(error).__name__}: {error}"
        with lock:
            result.statuses.append(status)
            if status == 503:
                result.busy_texts.append(text)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s + 5)
    return result
