"""The agents' task: a throwaway git repository whose test fails until a one-line bug is fixed.

The agent sees the test and may run it; the verdict is the repository afterwards, never the agent's words: the test
passes, the test file is byte for byte what it was, and the module changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODULE = "calc.py"
TEST = "test_calc.py"
MODULE_TEXT = '''def add(a, b):
    """Return the sum of a and b."""
    return a - b
'''
TEST_TEXT = '''from calc import add


def test_add():
    assert add(2, 3) == 5
    assert add(-1, 1) == 0
'''
INSTRUCTION = (f"Read {MODULE}, then edit {MODULE} to fix its bug so that `python -m pytest -q {TEST}` passes. "
               f"Do not change {TEST}.")
"""What the agent is asked. It names the steps, not the bug: asked only to make the test pass, Claude Code with the
1.5B model fixed 2 of 6 tries (it edited the test's lines in calc.py without reading it, or went to git); with this
wording 6 of 10 on mistral.rs and 1 of 2 on llama.cpp (docs/agents.md)."""
_GIT_IDENTITY = {"GIT_AUTHOR_NAME": "suite", "GIT_AUTHOR_EMAIL": "suite@localhost",
                 "GIT_COMMITTER_NAME": "suite", "GIT_COMMITTER_EMAIL": "suite@localhost"}


@dataclass(frozen=True)
class Verdict:
    """What the repository shows after the agent's run."""

    test_passed: bool
    test_output: str
    test_untouched: bool
    module_changed: bool
    module_text: str

    @property
    def fixed(self) -> bool:
        """The bug is fixed the honest way: the untouched test passes against a changed module."""
        return self.test_passed and self.test_untouched and self.module_changed


def create_repository(parent: Path | None = None) -> Path:
    """A new git repository holding the buggy module and its test, committed."""
    repo = Path(tempfile.mkdtemp(prefix="agent-task-", dir=parent))
    (repo / MODULE).write_text(MODULE_TEXT, encoding="utf-8")
    (repo / TEST).write_text(TEST_TEXT, encoding="utf-8")
    env = {**os.environ, **_GIT_IDENTITY}
    for command in (["git", "init", "-q"], ["git", "add", MODULE, TEST], ["git", "commit", "-q", "-m", "calc with a bug"]):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    return repo


def remove_repository(repo: Path) -> None:
    """Delete the throwaway repository."""
    shutil.rmtree(repo, ignore_errors=True)


def judge(repo: Path, timeout_s: float = 60.0) -> Verdict:
    """Run the test with this interpreter's pytest and compare the files with what the task started from."""
    test_path, module_path = repo / TEST, repo / MODULE
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST], cwd=repo,
                         capture_output=True, text=True, timeout=timeout_s, check=False)
    module_text = module_path.read_text(encoding="utf-8") if module_path.exists() else ""
    test_text = test_path.read_text(encoding="utf-8") if test_path.exists() else ""
    return Verdict(test_passed=run.returncode == 0, test_output=run.stdout + run.stderr,
                   test_untouched=test_text == TEST_TEXT, module_changed=module_text != MODULE_TEXT,
                   module_text=module_text)
