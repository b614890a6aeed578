"""Locust master and two workers on loopback: every request's record reaches the master, from both workers."""

from __future__ import annotations

from pathlib import Path

from support.bench.calibration import Behaviour, CalibrationServer
from support.bench.distributed import run_locust
from support.bench.metrics import summarise
from support.stack import free_port


def test_two_workers_hand_every_record_to_the_master(tmp_path: Path) -> None:
    server = CalibrationServer(free_port(), Behaviour(chunks=5, interval_s=0.02))
    try:
        run = run_locust(server.url, tmp_path, "calibration", users=4, duration_s=4, label="calibration server")
    finally:
        server.stop()
    assert run.exit_status == 0, run.log.read_text()[-2000:]
    assert len(run.workers_seen) == 2
    assert len(run.records) == run.master_count > 0
    figures = summarise(run.records)
    assert figures["failed"] == 0
    itl = figures["itl_s"]
    assert isinstance(itl, dict) and itl["p50"] >= 0.015
