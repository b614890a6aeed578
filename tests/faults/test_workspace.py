"""The scratch copies a fault is planted in: what they hold, and that the working tree never changes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from support.faults.catalogue import Fault
from support.faults.workspace import Workspace, checkout_files

FAULT = Fault("answer-changed", "errors", "the answer", "pkg/answer.py", "ANSWER = 42\n", "ANSWER = 41\n", ("features/a.feature",), "errors.yaml")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A small git checkout: a tracked file, an untracked one, an ignored one and a virtualenv."""
    root = tmp_path / "checkout"
    (root / "pkg").mkdir(parents=True)
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "pkg" / "answer.py").write_text("ANSWER = 42\n")
    (root / "pkg" / "new.py").write_text("NEW = True\n")
    (root / "pkg" / "built.pyc").write_bytes(b"\0")
    (root / ".gitignore").write_text(".venv/\n*.pyc\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", ".gitignore", "pkg/answer.py"], cwd=root, check=True)
    return root


def _digest(root: Path) -> str:
    files = sorted(path for path in root.rglob("*") if path.is_file() and ".git" not in path.parts)
    return hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()


def test_the_checkout_is_tracked_and_untracked_files_without_ignored_ones(checkout: Path) -> None:
    assert checkout_files(checkout) == [".gitignore", "pkg/answer.py", "pkg/new.py"]


def test_the_copy_has_the_fault_and_the_working_tree_does_not(checkout: Path) -> None:
    before = _digest(checkout)
    with Workspace(checkout) as workspace:
        copy = workspace.copy(FAULT)
        assert (copy / "pkg" / "answer.py").read_text() == "ANSWER = 41\n"
        assert (copy / "pkg" / "new.py").exists()
        assert not (copy / "pkg" / "built.pyc").exists()
        assert (copy / ".venv").is_symlink()
        assert (copy / ".venv").resolve() == (checkout / ".venv").resolve()
    assert _digest(checkout) == before
    assert not workspace.root.exists()
    assert (checkout / ".venv" / "bin").is_dir()


def test_each_copy_starts_from_the_snapshot(checkout: Path) -> None:
    with Workspace(checkout) as workspace:
        faulty = workspace.copy(FAULT)
        workspace.discard(faulty)
        (checkout / "pkg" / "answer.py").write_text("ANSWER = 0\n")
        control = workspace.copy(None)
        assert (control / "pkg" / "answer.py").read_text() == "ANSWER = 42\n"
        assert not faulty.exists()
