"""Locust master and two workers on loopback: every request's record reaches the master, from both workers."""

from __future__ import annotations

from pathlib import Path

from support.bench.calibration import Behaviour, CalibrationServer
from support.bench.distributed import run_locust
from support.bench.metrics import summarise
from support.stacks.base import free_port


def test_two_workers_hand_every_record_to_the_master(tmp_path: Path) -> None:
    server = CalibrationServer(free_port(), Behaviour(chunks=5, interval_s=0.02))
    try:
        run = run_locust(server.url, tmp_path, "calibration", users=4, duration_s=4, label="calibration server")
    finally:
        server.stop()
    assert run.exit_status == 0, run.log.read_text()[-2000:]
    assert len(run.workers_seen) == 2 and len(run.worker_counts) == 2
    assert len(run.records) == sum(run.worker_counts.values()) > 0
    figures = summarise(run.records)
    assert figures["failed"] == 0
    itl = figures["itl_s"]
    assert isinstance(itl, dict) and itl["p50"] >= 0.015


def test_requests_still_in_flight_when_the_time_is_up_are_finished_and_recorded(tmp_path: Path) -> None:
    """Each answer takes longer than the run: without the finishing handshake the master would quit with no record."""
    server = CalibrationServer(free_port(), Behaviour(chunks=4, interval_s=1.5))
    try:
        run = run_locust(server.url, tmp_path, "calibration", users=2, duration_s=3)
    finally:
        server.stop()
    assert len(run.records) >= 2 and len(run.workers_seen) == 2
    assert len(run.records) == sum(run.worker_counts.values())
    assert all(r.ok and r.e2e_s is not None and r.e2e_s >= 4.0 for r in run.records)
