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
NDJSON = ("features/streaming/ndjson.feature", "arrives as one JSON object per line")
VERSION = ("features/ollama_api/liveness.feature", "version is numeric")
# The fake has no OpenAI endpoints, so only the native stream is timed.
STREAMING = ("features/streaming/real_streaming.feature", "native API")


def run_scenarios(url: str, feature: str, name: str, workdir: Path, model: str = fake_ollama.MODEL, *userdata: str) -> dict[str, str]:
    """Run the scenarios of a feature whose names match; map each that ran to its outcome.

    The outcome is "passed", or the text of the first step that did not pass. behave runs from a
    scratch directory, so the repository's behave.ini (and its Allure output) stays out of it; it
    still finds steps/ and environment.py by walking up from the feature.
    """
    report = workdir / "behave.json"
    command = [
        sys.executable, "-m", "behave", str(REPO_ROOT / feature), "-n", name,
        "-f", "json", "-o", str(report), "--no-capture",
        "-D", "target=external", "-D", f"ollama_url={url}", "-D", f"model={model}",
        "-D", f"results_dir={workdir}", *userdata,
    ]  # fmt: skip
    subprocess.run(command, cwd=workdir, timeout=BEHAVE_TIMEOUT_S, capture_output=True, check=False)
    outcomes = {}
    for feature_result in json.loads(report.read_text()):
        for element in feature_result.get("elements", []):
            # Scenarios that -n did not select are reported as skipped.
            if element.get("type") != "scenario" or element.get("status") == "skipped":
                continue
            failing_steps = [step["name"] for step in element["steps"] if step.get("result", {}).get("status") != "passed"]
            outcomes[element["name"]] = failing_steps[0] if failing_steps else "passed"
    return outcomes


def failed(outcomes: dict[str, str]) -> dict[str, str]:
    """The scenarios that did not pass, with the step that stopped them."""
    return {name: step for name, step in outcomes.items() if step != "passed"}


@pytest.mark.parametrize(("feature", "name"), [MISSING_MODEL, NDJSON, VERSION, STREAMING])
def test_the_honest_fake_passes(tmp_path: Path, feature: str, name: str) -> None:
    with fake_ollama.running() as server:
        outcomes = run_scenarios(server.url, feature, name, tmp_path)
    assert outcomes, "no scenario was selected"
    assert failed(outcomes) == {}


NDJSON_STEP = "every line is one JSON object, with no blank lines"
CHUNK_STEP = "only the last chunk is marked done, with a reason and metrics"


@pytest.mark.parametrize(
    ("defect", "scenarios", "expected"),
    [
        ("missing_model_status", MISSING_MODEL, {"to POST /api/chat": "the response status is 400"}),
        ("blank_lines", NDJSON, {"completion": NDJSON_STEP, "chat": NDJSON_STEP}),
        ("empty_thinking", NDJSON, {"chat": CHUNK_STEP}),
        ("old_version", VERSION, {"version": "the reported version is numeric and at least 0.6.4"}),
        ("buffered", STREAMING, {"native": "at least half of the chunks arrived separately"}),
    ],
)
def test_a_defect_fails_exactly_its_scenarios_at_the_right_step(
    tmp_path: Path, defect: str, scenarios: tuple[str, str], expected: dict[str, str]
) -> None:
    """``expected`` maps a fragment of each scenario name that must fail to the step it fails at."""
    feature, name = scenarios
    with fake_ollama.running(frozenset({defect})) as server:
        outcomes = run_scenarios(server.url, feature, name, tmp_path)
    failures = failed(outcomes)
    matched = {fragment: step for fragment in expected for scenario, step in failures.items() if fragment in scenario}
    assert matched == expected, outcomes
    assert len(failures) == len(expected), outcomes
