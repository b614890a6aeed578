"""The task set, in the style of Aider's benchmark: an instruction, the files to edit, and tests the model never sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
KINDS = ("generation", "several_files", "refactoring", "error_correction", "documentation")


class TaskError(ValueError):
    """A task folder is incomplete or names a kind nobody judges."""


@dataclass(frozen=True)
class Task:
    """One exercise: ``src/`` becomes the repository, ``tests/`` stays outside it, ``task.yaml`` says the rest."""

    name: str
    kind: str
    instruction: str
    chat_files: tuple[str, ...]
    folder: Path
    absent: tuple[str, ...] = field(default=())
    """Names that must be gone from every file after the edit (a rename)."""
    docstrings: tuple[str, ...] = field(default=())
    """Files whose public functions must all gain docstrings with their code otherwise unchanged."""

    @property
    def sources(self) -> Path:
        """The files the repository starts with."""
        return self.folder / "src"

    @property
    def tests(self) -> Path:
        """The task's pytest files, copied beside the repository only when they run, as the benchmark does."""
        return self.folder / "tests"


def load_task(folder: Path) -> Task:
    """Read one task folder, checking that what it names exists."""
    data = yaml.safe_load((folder / "task.yaml").read_text(encoding="utf-8"))
    kind = str(data.get("kind", ""))
    if kind not in KINDS:
        raise TaskError(f"{folder.name}: kind {kind!r} is not one of {', '.join(KINDS)}")
    chat_files = tuple(str(name) for name in data.get("chat_files", []))
    missing = [name for name in chat_files if not (folder / "src" / name).is_file()]
    if not chat_files or missing or not any((folder / "tests").glob("test_*.py")):
        raise TaskError(f"{folder.name}: needs chat_files present in src/ (missing: {missing}) and tests/test_*.py")
    return Task(
        name=folder.name,
        kind=kind,
        instruction=str(data["instruction"]).strip(),
        chat_files=chat_files,
        folder=folder,
        absent=tuple(str(name) for name in data.get("absent", [])),
        docstrings=tuple(str(name) for name in data.get("docstrings", [])),
    )


def load_tasks(directory: Path = TASKS_DIR) -> list[Task]:
    """Every task, in name order so that runs are comparable."""
    return [load_task(folder) for folder in sorted(directory.iterdir()) if (folder / "task.yaml").is_file()]


def task_named(name: str, directory: Path = TASKS_DIR) -> Task:
    """One task by its folder name."""
    folder = directory / name
    if not (folder / "task.yaml").is_file():
        known = ", ".join(task.name for task in load_tasks(directory))
        raise TaskError(f"no task {name!r} (known: {known})")
    return load_task(folder)
