"""Scratch copies of the checkout to plant a fault in, so the working tree is never touched.

The snapshot holds what git would commit (tracked files and untracked ones that are not ignored), taken once per
run so that every fault meets the same tree; each fault then gets a fresh copy of it. The virtualenvs are linked,
not copied: the gateway and behave run from them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from support.faults.catalogue import Fault, planted

LINKED = (".venv", ".venv-aider")


def checkout_files(repo_root: Path) -> list[str]:
    """Tracked files and untracked ones that are not ignored, as git lists them; deleted ones left out."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo_root, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return sorted({name for name in listing.split("\0") if name and (repo_root / name).is_file()})


def take_snapshot(repo_root: Path, destination: Path) -> Path:
    """Copy the checkout's files into `destination` and link its virtualenvs there."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in checkout_files(repo_root):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo_root / name, target)
    for name in LINKED:
        if (repo_root / name).exists():
            (destination / name).symlink_to((repo_root / name).resolve(), target_is_directory=True)
    return destination


def fresh_copy(snapshot: Path, parent: Path, label: str) -> Path:
    """A copy of the snapshot in a new directory under `parent`; the links stay links."""
    copy = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=parent))
    shutil.copytree(snapshot, copy, symlinks=True, dirs_exist_ok=True)
    return copy


def plant(copy: Path, fault: Fault) -> None:
    """Plant the fault in the copy's file."""
    path = copy / fault.file
    path.write_text(planted(path.read_text(encoding="utf-8"), fault), encoding="utf-8")


class Workspace:
    """A snapshot of the checkout under a scratch directory, handing out one fresh copy per run; removed on close."""

    def __init__(self, repo_root: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="faults-"))
        self.snapshot = take_snapshot(repo_root, self.root / "snapshot")

    def copy(self, fault: Fault | None) -> Path:
        """A fresh copy with the fault planted, or none for the control."""
        copy = fresh_copy(self.snapshot, self.root, fault.name if fault else "control")
        if fault is not None:
            plant(copy, fault)
        return copy

    def discard(self, copy: Path) -> None:
        """Remove a copy; the virtualenvs it links to stay."""
        shutil.rmtree(copy, ignore_errors=True)

    def close(self) -> None:
        """Remove the snapshot and every copy left."""
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
