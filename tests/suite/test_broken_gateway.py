"""Negative control: a gateway that gets one parity detail wrong fails the right scenarios.

Each case runs real scenarios with behave against ``fake_ollama`` (a tiny Ollama look-alike):
first without defects, where they must pass, so a failure with the defect is the defect's doing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from . import fake_ollama

REPO_ROOT = Path(__file__).resolve().parents[2]
BEHAVE_TIMEOUT_S = 120

MISSING_MODEL = ("features/ollama_api/errors.feature", "a request without a model")
NDJSON = ("features/streaming/ndjson.feature", "is framed as NDJSON")
VERSION = ("features/ollama_api/liveness.feature", "version is numeric")


def run_scenarios(url: str, feature: str, name: str, workdir: Path) -> dict[str, str]:
    """Run the scenarios of a feature whose names match, and return the statuses of those that ran.

    behave runs from a scratch directory, so the repository's behave.ini (and its Allure output)
    stays out of it; it still finds steps/ and environment.py by walking up from the feature.
    """
    report = workdir / "behave.json"
    command = [
        sys.executable,
        "-m",
        "behave",
        str(REPO_ROOT / feature),
        "-n",
        name,
        "-f",
        "json",
        "-o",
        str(report),
        "--no-capture",
        "-D",
        "target=external",
        "-D",
        f"ollama_url={url}",
        "-D",
        f"model={fake_ollama.MODEL}",
        "-D",
        f"results_dir={workdir}",
    ]
    subprocess.run(command, cwd=workdir, timeout=BEHAVE_TIMEOUT_S, capture_output=True, check=False)
    features = json.loads(report.read_text())
    return {
        element["name"]: element["status"]
        for feature_result in features
        for element in feature_result.get("elements", [])
        # Scenarios that -n did not select are reported as skipped.
        if element.get("type") == "scenario" and element.get("status") != "skipped"
    }


def failed(statuses: dict[str, str]) -> set[str]:
    return {name for name, status in statuses.items() if status != "passed"}


@pytest.mark.parametrize(("feature", "name"), [MISSING_MODEL, NDJSON, VERSION])
def test_the_honest_fake_passes(tmp_path: Path, feature: str, name: str) -> None:
    with fake_ollama.running() as server:
        statuses = run_scenarios(server.url, feature, name, tmp_path)
    assert statuses, "no scenario was selected"
    assert failed(statuses) == set(), statuses


@pytest.mark.parametrize(
    ("defect", "scenario", "expected_failures"),
    [
        ("missing_model_status", MISSING_MODEL, {"POST /api/chat"}),
        ("blank_lines", NDJSON, {"completion", "chat"}),
        ("empty_thinking", NDJSON, {"chat"}),
        ("old_version", VERSION, {"version"}),
    ],
)
def test_a_defect_fails_exactly_its_scenarios(tmp_path: Path, defect: str, scenario: tuple[str, str], expected_failures: set[str]) -> None:
    feature, name = scenario
    with fake_ollama.running(frozenset({defect})) as server:
        statuses = run_scenarios(server.url, feature, name, tmp_path)
    failing = failed(statuses)
    for fragment in expected_failures:
        assert any(fragment in name for name in failing), (fragment, statuses)
    passing = set(statuses) - failing
    assert not any(fragment in name for name in passing for fragment in expected_failures), statuses
