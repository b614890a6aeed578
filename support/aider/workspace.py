"""A scratch git repository per Aider run, and what can be read from it afterwards: files, history, tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from support.aider.tasks import Task

TEST_TIMEOUT_S = 60.0
"""Per test run; the benchmark allows 180 s for whole exercises, these tasks take well under a second."""
AIDER_PREFIX = ".aider"
"""Aider's own files and folders in the repository: chat and input history, the repository map's tag cache."""


def _aiders(path: str) -> bool:
    return path.split("/")[0].startswith(AIDER_PREFIX)


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=30)
    return completed.stdout


@dataclass(frozen=True)
class TestOutcome:
    """One pytest run of the task's tests against the repository."""

    passed: bool
    output: str


class Workspace:
    """A temporary directory with ``repo/`` (a git repository holding the task's sources), ``home/`` and ``tests/``."""

    def __init__(self, task: Task, root: Path | None = None) -> None:
        self.task = task
        self.root = root or Path(tempfile.mkdtemp(prefix=f"aider-{task.name}-"))
        self.repo = self.root / "repo"
        self.home = self.root / "home"
        self.tests = self.root / "tests"

    def create(self) -> Workspace:
        """Copy the sources in and commit them, so every later change shows in git."""
        shutil.copytree(self.task.sources, self.repo)
        self.home.mkdir(parents=True)
        _git(self.repo, "init", "--quiet", "--initial-branch=main")
        _git(self.repo, "config", "user.name", "Suite")
        _git(self.repo, "config", "user.email", "suite@example.invalid")
        _git(self.repo, "add", "--all")
        _git(self.repo, "commit", "--quiet", "--allow-empty", "-m", f"task {self.task.name}")
        return self

    def remove(self) -> None:
        """Delete the whole scratch directory."""
        shutil.rmtree(self.root, ignore_errors=True)

    def files(self) -> dict[str, str]:
        """Every file in the working tree but git's and Aider's own, by relative path."""
        found: dict[str, str] = {}
        for path in sorted(self.repo.rglob("*")):
            relative = path.relative_to(self.repo)
            if path.is_file() and relative.parts[0] != ".git" and not _aiders(str(relative)) and "__pycache__" not in relative.parts:
                found[str(relative)] = path.read_text(encoding="utf-8", errors="replace")
        return found

    def commit_all(self, message: str) -> None:
        """Commit everything in the working tree, as a user would before starting Aider."""
        _git(self.repo, "add", "--all")
        _git(self.repo, "commit", "--quiet", "-m", message)

    def files_at_start(self) -> dict[str, str]:
        """The files as the task's first commit holds them."""
        first = _git(self.repo, "rev-list", "--max-parents=0", "HEAD").strip()
        names = _git(self.repo, "ls-tree", "-r", "--name-only", first).split()
        return {name: _git(self.repo, "show", f"{first}:{name}") for name in names}

    def git_log(self) -> list[str]:
        """Commits, newest first, as "<hash> <subject>"."""
        return _git(self.repo, "log", "--format=%h %s").splitlines()

    def commit_bodies(self) -> list[str]:
        """Full commit messages, newest first."""
        return [body.strip() for body in _git(self.repo, "log", "--format=%B%x00").split("\0") if body.strip()]

    def changed_files(self) -> list[str]:
        """Files that differ from the task's first commit, committed or not."""
        first = _git(self.repo, "rev-list", "--max-parents=0", "HEAD").strip()
        return sorted(name for name in _git(self.repo, "diff", "--name-only", first).split() if not _aiders(name))

    def uncommitted(self) -> list[str]:
        """`git status --porcelain` lines, Aider's own files left out."""
        lines = _git(self.repo, "status", "--porcelain", "--untracked-files=all").splitlines()
        return [line for line in lines if not _aiders(line[3:].strip('"'))]

    def chat_history(self) -> str:
        """Aider's .aider.chat.history.md, or empty when it wrote none."""
        path = self.repo / ".aider.chat.history.md"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def test_command(self) -> list[str]:
        """pytest on the task's tests, copied fresh beside the repository so no edit can reach them."""
        return [sys.executable, str(Path(__file__).resolve().parent / "testrun.py"), str(self.task.tests), str(self.tests), str(self.repo)]

    def run_tests(self) -> TestOutcome:
        """Run the task's tests against the repository as it is now."""
        try:
            completed = subprocess.run(self.test_command(), capture_output=True, text=True, timeout=TEST_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            partial = error.stdout.decode(errors="replace") if isinstance(error.stdout, bytes) else (error.stdout or "")
            return TestOutcome(False, f"tests timed out after {TEST_TIMEOUT_S:.0f} s\n{partial}")
        return TestOutcome(completed.returncode == 0, completed.stdout + completed.stderr)
