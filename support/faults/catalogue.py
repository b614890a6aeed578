"""The fault catalogue: YAML files in tests/faults/catalogue/, each a list of faults (see tests/faults/README.md)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_DIR = Path("tests/faults/catalogue")
AREAS = (
    "errors", "generate", "chat", "streaming", "openai", "embeddings", "models",
    "options", "keep_alive", "tools", "metrics", "security",
)  # fmt: skip
FIELDS = ("name", "area", "breaks", "file", "find", "replace", "features")
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class CatalogueError(ValueError):
    """A catalogue file is not a list of faults with the fields the format fixes."""


@dataclass(frozen=True)
class Fault:
    """One planted change: in `file`, the one occurrence of `find` becomes `replace`."""

    name: str
    area: str
    breaks: str
    file: str
    find: str
    replace: str
    features: tuple[str, ...]
    """Feature files, each optionally with `:line`, whose fast scenarios should kill the fault."""
    source: str
    """The catalogue file the fault came from."""


def load_catalogue(directory: Path) -> list[Fault]:
    """Every fault of every `*.yaml` in the directory, in file order then list order."""
    faults: list[Fault] = []
    for path in sorted(directory.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            raise CatalogueError(f"{path}: expected a list of faults, found {type(entries).__name__}")
        faults += [_fault(entry, f"{path.name}[{index}]") for index, entry in enumerate(entries)]
    return faults


def _fault(entry: Any, where: str) -> Fault:
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: expected a mapping, found {type(entry).__name__}")
    missing = [field for field in FIELDS if field not in entry]
    unknown = [key for key in entry if key not in FIELDS]
    if missing or unknown:
        raise CatalogueError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
    texts = {field: entry[field] for field in FIELDS if field != "features"}
    wrong = [field for field, value in texts.items() if not isinstance(value, str)]
    features = entry["features"]
    if not isinstance(features, list) or not features or not all(isinstance(item, str) for item in features):
        wrong.append("features")
    if wrong:
        raise CatalogueError(f"{where}: {', '.join(wrong)} must be text (features: a non-empty list of paths)")
    return Fault(
        name=texts["name"], area=texts["area"], breaks=" ".join(texts["breaks"].split()), file=texts["file"],
        find=texts["find"], replace=texts["replace"], features=tuple(features), source=where.split("[")[0],
    )  # fmt: skip


def duplicate_names(faults: Sequence[Fault]) -> list[str]:
    """Names used by more than one fault, which would make the results ambiguous."""
    return [f"{name}: the name is used {count} times" for name, count in Counter(f.name for f in faults).items() if count > 1]


def catalogue_problems(faults: Sequence[Fault], repo_root: Path) -> list[str]:
    """Everything that would make a fault a silent no-op or an ambiguous one, on the tree at `repo_root`."""
    problems = duplicate_names(faults)
    for fault in faults:
        problems += [f"{fault.name} ({fault.source}): {problem}" for problem in fault_problems(fault, repo_root)]
    return problems


def fault_problems(fault: Fault, repo_root: Path) -> list[str]:
    """Why this fault cannot be planted on the tree at `repo_root`, or is not one fault."""
    problems: list[str] = []
    if not _NAME.fullmatch(fault.name):
        problems.append(f"the name {fault.name!r} is not kebab-case")
    if fault.area not in AREAS:
        problems.append(f"the area {fault.area!r} is not one of {', '.join(AREAS)}")
    if not fault.breaks.strip():
        problems.append("it does not say what it breaks")
    if fault.find == fault.replace:
        problems.append("replace is the same as find")
    target = repo_root / fault.file
    if not target.is_file():
        problems.append(f"{fault.file} does not exist")
    else:
        count = target.read_text(encoding="utf-8").count(fault.find)
        if count != 1:
            problems.append(f"find occurs {count} times in {fault.file}, not once")
    for feature in fault.features:
        path, _, line = feature.partition(":")
        if not path.endswith(".feature") or not (repo_root / path).is_file():
            problems.append(f"the feature file {path} does not exist")
        if line and not line.isdigit():
            problems.append(f"{feature}: the part after ':' is not a line number")
        elif line and (repo_root / path).is_file() and not _runs_from(repo_root / path, int(line)):
            problems.append(f"{feature}: that line starts no scenario or example row (lines move when the file changes)")
    return problems


_RUNNABLE = ("Scenario:", "Scenario Outline:", "Scenario Template:", "Examples:", "Rule:", "Feature:", "|")


def _runs_from(path: Path, line: int) -> bool:
    """Whether behave, given `path:line`, starts at that line: a scenario, an outline's examples or one row."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return 0 < line <= len(lines) and lines[line - 1].strip().startswith(_RUNNABLE)


def planted(text: str, fault: Fault) -> str:
    """The text with the fault planted; a `find` that does not occur exactly once is an error, never a no-op."""
    count = text.count(fault.find)
    if count != 1:
        raise CatalogueError(f"{fault.name}: find occurs {count} times in {fault.file}, not once")
    return text.replace(fault.find, fault.replace)


def select(faults: Sequence[Fault], names: Iterable[str] = (), area: str | None = None) -> list[Fault]:
    """The faults named (all when none are), then those of the area (all when none is given)."""
    wanted = set(names)
    unknown = wanted - {fault.name for fault in faults}
    if unknown:
        raise CatalogueError(f"no fault named {', '.join(sorted(unknown))}")
    chosen = [fault for fault in faults if not wanted or fault.name in wanted]
    return [fault for fault in chosen if area is None or fault.area == area]


def union_of_features(faults: Sequence[Fault]) -> list[str]:
    """The feature files the faults name, each once and its lines together (behave reads a file named twice apart
    as two features); a file named whole covers its lines."""
    lines: dict[str, list[str] | None] = {}
    for fault in faults:
        for feature in fault.features:
            path, _, line = feature.partition(":")
            known = lines.setdefault(path, [])
            if not line:
                lines[path] = None
            elif known is not None and line not in known:
                known.append(line)
    return [entry for path, known in lines.items() for entry in ([f"{path}:{line}" for line in sorted(known, key=int)] if known else [path])]
