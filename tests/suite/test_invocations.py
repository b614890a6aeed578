"""Every ordinary way of running the suite gives the same verdict on one small feature.

A user may run plain ``behave``, allure-behave's documented ``behave -f
allure_behave.formatter:AllureFormatter -o DIR``, another formatter, ``--junit``, the runner or
``make suite``. Each runs the liveness feature (no model generation) against one real gateway
started here, and must report every scenario passed; the Allure ones must leave Allure results
with the run's environment, categories and labels in the directory they were given.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from behave.parser import parse_file

from support.settings import settings_from_userdata
from support.stacks.local import LocalProcessStack

ROOT = Path(__file__).resolve().parents[2]
FEATURE = "features/ollama_api/liveness.feature"
LIVENESS_RULES = frozenset(re.findall(r"^\s*Rule: (.+)$", (ROOT / FEATURE).read_text(encoding="utf-8"), re.MULTILINE))
BEHAVE = [sys.executable, "-m", "behave"]
ALLURE_FORMATTER = "allure_behave.formatter:AllureFormatter"
SCENARIOS_LINE = re.compile(r"^(\d+) scenarios? passed, (\d+) failed(?:, (\d+) error)?, (\d+) skipped", re.MULTILINE)
TOOK_LINE = re.compile(r"^Took (\d+)min (\d+\.\d+)s$", re.MULTILINE)

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    """What one invocation left: its exit status, behave's output, its JUnit folder and its Allure results, if any."""

    returncode: int
    behave_output: str
    junit: Path
    allure_results: Path | None = None


@pytest.fixture(scope="module")
def ollama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One embedded gateway for every invocation, so only the invocation differs between them."""
    workdir = tmp_path_factory.mktemp("gateway")
    userdata = {"results_dir": str(workdir), "models_dir": str(workdir / "models")}
    stack = LocalProcessStack(settings_from_userdata(userdata, ROOT), ROOT)
    stack.start()
    try:
        yield stack.ollama_url
    finally:
        stack.stop()


def _run(command: list[str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def run_behave(options: list[str], url: str, tmp_path: Path, allure_results: Path | None = None) -> Run:
    # --junit-directory only keeps the JUnit files behave.ini asks for out of the work tree.
    target = ["-D", "target=external", "-D", f"ollama_url={url}", "--junit-directory", str(tmp_path / "junit")]
    done = _run([*BEHAVE, *options, *target, FEATURE])
    return Run(done.returncode, done.stdout + done.stderr, tmp_path / "junit", allure_results)


def run_runner(prefix: list[str], url: str, tmp_path: Path) -> Run:
    results = tmp_path / "results"
    done = _run([*prefix, "--ollama-url", url, "--results-dir", str(results), FEATURE])
    assert "**Verdict: PASSED**" in done.stdout, done.stdout + done.stderr
    return Run(done.returncode, (results / "behave.log").read_text(encoding="utf-8"), results / "junit", results / "allure-results")


def invoke(how: str, url: str, tmp_path: Path) -> Run:
    if how == "behave":
        return run_behave([], url, tmp_path)
    if how == "behave -f allure -o DIR":
        return run_behave(["-f", ALLURE_FORMATTER, "-o", str(tmp_path / "allure")], url, tmp_path, tmp_path / "allure")
    if how == "behave -f pretty":
        return run_behave(["-f", "pretty"], url, tmp_path)
    if how == "behave --junit":
        return run_behave(["--junit"], url, tmp_path)
    if how == "./run-all-tests.sh":
        return run_runner(["./run-all-tests.sh"], url, tmp_path)
    # The virtualenv running this test is the one make would build; -o keeps make from rebuilding it, and from
    # installing what a liveness run against a given URL does not use (models, Aider, monitoring tools, the registry).
    assert how == "make suite"
    args = f"--ollama-url {url} --results-dir {tmp_path / 'results'} {FEATURE}"
    skipped = [flag for target in (".venv/.installed", "models", "aider", "monitoring-tools", "registry-tool") for flag in ("-o", target)]
    done = _run(["make", "--no-print-directory", *skipped, "suite", f"ARGS={args}"], timeout=280)
    assert "**Verdict: PASSED**" in done.stdout, done.stdout + done.stderr
    results = tmp_path / "results"
    return Run(done.returncode, (results / "behave.log").read_text(encoding="utf-8"), results / "junit", results / "allure-results")


INVOCATIONS = ["behave", "behave -f allure -o DIR", "behave -f pretty", "behave --junit", "./run-all-tests.sh", "make suite"]


@pytest.mark.parametrize("how", INVOCATIONS)
def test_each_invocation_passes_every_scenario_of_the_feature(how: str, ollama_url: str, tmp_path: Path) -> None:
    run = invoke(how, ollama_url, tmp_path)
    scenarios = len(parse_file(str(ROOT / FEATURE)).walk_scenarios())
    counts = SCENARIOS_LINE.search(run.behave_output)
    assert counts is not None, run.behave_output
    assert (counts[1], counts[2], counts[3] or "0", counts[4]) == (str(scenarios), "0", "0", "0"), run.behave_output
    assert run.returncode == 0, run.behave_output
    took = TOOK_LINE.search(run.behave_output)
    assert took is not None and int(took[1]) * 60 + float(took[2]) > 0, "the closing summary should report the run's real duration"
    # behave.ini asks every run for JUnit files, which CI publishes.
    [junit] = run.junit.glob("TESTS-*.xml")
    suite = re.search(r'<testsuite [^>]*tests="(\d+)" errors="(\d+)" failures="(\d+)"', junit.read_text(encoding="utf-8"))
    assert suite is not None and suite.groups() == (str(scenarios), "0", "0")
    if run.allure_results is not None:
        results = [json.loads(path.read_text()) for path in run.allure_results.glob("*-result.json")]
        assert [r["status"] for r in results] == ["passed"] * scenarios
        assert (run.allure_results / "environment.properties").is_file()
        assert (run.allure_results / "categories.json").is_file()
        for result in results:
            labels = {label["name"]: label["value"] for label in result["labels"]}
            assert labels["epic"] == "Ollama API"
            assert labels["feature"] == "Liveness and version"
            assert labels["story"] in LIVENESS_RULES, labels["story"]
            assert labels["severity"] == "critical"


def test_two_allure_formatters_stop_the_run_with_a_clear_error(ollama_url: str, tmp_path: Path) -> None:
    twice = ["-f", "allure", "-o", str(tmp_path / "a"), "-f", ALLURE_FORMATTER, "-o", str(tmp_path / "b")]
    run = run_behave(twice, ollama_url, tmp_path)
    assert run.returncode != 0
    assert "AllureSetupError: 2 Allure formatters" in run.behave_output
    assert "KeyError" not in run.behave_output
