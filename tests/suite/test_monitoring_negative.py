"""Negative controls for monitoring: a real gateway whose counter is off by one, and a rule with a wrong
threshold, each fail the scenario that checks them; unchanged, the same scenarios pass.

Each case runs real scenarios with behave against a real gateway and a real Prometheus.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.monitoring.config import STACK_MONITORING
from support.monitoring.monitor import EmbeddedMonitoring
from support.stacks.base import free_port, is_ready

from .test_broken_gateway import REPO_ROOT, failed, run_scenarios

MODEL = "smollm2:135m"
STARTUP_S = 120.0
COUNTER_STEP = "the request counter for /api/chat with status 200 rose by exactly 2"
ALERT_STEP = 'the "HighErrorRatio" alert goes pending, then firing, within its bounds'

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="Prometheus is not installed (make monitoring-tools)"),
]


@contextmanager
def miscounting_gateway(extra: int, workdir: Path) -> Iterator[str]:
    """The real gateway, its chat counter off by ``extra``, on a free port; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "tests.suite.miscounting_gateway", str(extra),
               "--host", "127.0.0.1", "--port", str(port), "--models-dir", str(workdir / "models")]  # fmt: skip
    with (workdir / "gateway.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_S
            while not is_ready(url):
                assert process.poll() is None and time.monotonic() < deadline, (workdir / "gateway.log").read_text()
                time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.parametrize(("extra", "expected"), [(0, {}), (1, {"2 chat requests": COUNTER_STEP})])
def test_a_counter_off_by_one_fails_the_accuracy_scenario(tmp_path: Path, extra: int, expected: dict[str, str]) -> None:
    with miscounting_gateway(extra, tmp_path) as url:
        embedded = EmbeddedMonitoring(url.removeprefix("http://"), tmp_path)
        monitoring = embedded.start()
        try:
            prometheus = ["-D", f"prometheus_url={monitoring.facts['prometheus_url']}"]
            outcomes = run_scenarios(url, "features/monitoring/accuracy.feature", "2 chat requests", tmp_path, MODEL, *prometheus)
        finally:
            embedded.stop()
    assert outcomes, "no scenario was selected"
    assert {fragment: step for fragment in expected for name, step in failed(outcomes).items() if fragment in name} == expected, outcomes
    assert len(failed(outcomes)) == len(expected), outcomes


@pytest.mark.parametrize(("threshold", "expected"), [("0.05", {}), ("1.05", {"HighErrorRatio": ALERT_STEP})])
def test_a_rule_with_a_wrong_threshold_fails_the_alert_scenario(tmp_path: Path, threshold: str, expected: dict[str, str]) -> None:
    """An error ratio above 105% can never happen, so that rule never fires however many requests fail."""
    config = tmp_path / "monitoring"
    shutil.copytree(STACK_MONITORING, config)
    rules = config / "rules" / "stack.rules.yml"
    rules.write_text(rules.read_text().replace("> 0.05", f"> {threshold}"))
    local = ["-D", "target=local", "-D", f"monitoring_config={config}", "-D", f"models_dir={tmp_path / 'models'}"]
    outcomes = run_scenarios("", "features/monitoring/alerting.feature", "HighErrorRatio", tmp_path, MODEL, *local)
    assert outcomes, "no scenario was selected"
    assert {fragment: step for fragment in expected for name, step in failed(outcomes).items() if fragment in name} == expected, outcomes
    assert len(failed(outcomes)) == len(expected), outcomes
