"""Locust in master/worker mode on this machine: one master and N workers, each a process of its own.

For several machines run the same commands by hand (docs/performance.md, "Beyond one machine"): the master with --master,
each load machine with --worker --master-host; the merged records land on the master's disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support.bench.measure import RequestRecord
from support.stacks.base import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = "support/bench/locustfile.py"
STOP_TIMEOUT_S = 300
"""How long requests still in flight at the end may take to finish (a loaded CPU answers slowly)."""


@dataclass
class LocustRun:
    """The merged records, how many each worker says it measured, and what Locust's own statistics counted."""

    records: list[RequestRecord]
    workers_seen: set[str]
    worker_counts: dict[str, int]
    master_count: int
    """Locust's own count of E2E requests, for information: its statistics may miss a worker's last report."""
    exit_status: int
    log: Path


def master_command(url: str, port: int, workers: int, users: int, duration_s: int, records: Path, stats: Path, model: str, max_tokens: int,
                   label: str = "") -> list[str]:
    """The master: headless, waiting for its workers, writing the merged records and Locust's own statistics."""
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--master", "--headless", "--master-bind-host", "127.0.0.1",
            "--master-bind-port", str(port), "--expect-workers", str(workers), "-u", str(users), "-r", str(users), "-t", f"{duration_s}s",
            "--stop-timeout", str(STOP_TIMEOUT_S), "-H", url, "--bench-records", str(records), "--bench-model", model,
            "--bench-max-tokens", str(max_tokens), "--bench-label", label or url, "--json-file", str(stats.with_suffix("")), "--only-summary"]


def worker_command(port: int) -> list[str]:
    """A worker on this machine."""
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]


def run_locust(url: str, out_dir: Path, model: str, users: int = 2, duration_s: int = 20, workers: int = 2, max_tokens: int = 32,
               label: str = "") -> LocustRun:
    """Run the master and workers to the end and read back the merged records."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records_path, stats_path, log = out_dir / "locust_records.jsonl", out_dir / "locust_stats.json", out_dir / "locust.log"
    records_path.unlink(missing_ok=True)
    Path(f"{records_path}.counts.json").unlink(missing_ok=True)
    port = free_port()
    with log.open("w") as sink:
        master = subprocess.Popen(master_command(url, port, workers, users, duration_s, records_path, stats_path, model, max_tokens, label),
                                  cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT)
        helpers = [subprocess.Popen(worker_command(port), cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT) for _ in range(workers)]
        try:
            status = master.wait(timeout=duration_s + STOP_TIMEOUT_S + 120)
            for helper in helpers:
                helper.wait(timeout=60)
        finally:
            for process in [master, *helpers]:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    rows = [json.loads(line) for line in records_path.read_text().splitlines()] if records_path.exists() else []
    counts_path = Path(f"{records_path}.counts.json")
    counts = {str(k): int(v) for k, v in json.loads(counts_path.read_text()).items()} if counts_path.exists() else {}
    return LocustRun([RequestRecord.from_row(row) for row in rows], {str(row["worker"]) for row in rows}, counts,
                     _master_count(stats_path), status, log)


def _master_count(stats: Path) -> int:
    """How many E2E requests Locust's master counted, from its JSON statistics."""
    if not stats.exists():
        return -1
    entries = json.loads(stats.read_text())
    return sum(int(e.get("num_requests", 0)) for e in entries if e.get("method") == "E2E")
