"""Every catalogued fault can be planted on the current tree: one occurrence of its text, a known area, real features.

A refactor that moves the code a fault changes shows up here, in `make test`, not as a silent no-op in `make faults`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.faults.catalogue import (
    CATALOGUE_DIR,
    CatalogueError,
    Fault,
    catalogue_problems,
    fault_problems,
    load_catalogue,
    planted,
    select,
    union_of_features,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
FAULTS = load_catalogue(REPO_ROOT / CATALOGUE_DIR)


def _fault(name: str = "a-fault", find: str = "x = 1\n", features: tuple[str, ...] = ("features/a.feature",)) -> Fault:
    return Fault(name, "errors", "x is wrong", "f.py", find, "x = 2\n", features, "errors.yaml")


def test_the_catalogue_has_faults() -> None:
    assert FAULTS


def test_fault_names_are_unique() -> None:
    assert [p for p in catalogue_problems(FAULTS, REPO_ROOT) if "the name is used" in p] == []


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_the_fault_applies_to_the_current_tree(fault: Fault) -> None:
    assert fault_problems(fault, REPO_ROOT) == []


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_the_planted_file_still_compiles(fault: Fault) -> None:
    original = (REPO_ROOT / fault.file).read_text(encoding="utf-8") if (REPO_ROOT / fault.file).is_file() else ""
    if original.count(fault.find) != 1 or not fault.file.endswith(".py"):
        pytest.skip("not a Python file, or not plantable (the test above says why)")
    compile(planted(original, fault), fault.file, "exec")


def test_a_find_that_occurs_twice_is_reported(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("x = 1\nx = 1\n")
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "a.feature").write_text("Feature: a\n")
    assert fault_problems(_fault(), tmp_path) == ["find occurs 2 times in f.py, not once"]
    with pytest.raises(CatalogueError):
        planted("x = 1\nx = 1\n", _fault())


def test_a_missing_feature_and_a_bad_name_are_reported(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("x = 1\n")
    problems = fault_problems(_fault(name="Bad_Name", features=("features/none.feature:x",)), tmp_path)
    assert problems == [
        "the name 'Bad_Name' is not kebab-case",
        "the feature file features/none.feature does not exist",
        "features/none.feature:x: the part after ':' is not a line number",
    ]


def test_a_line_that_starts_no_scenario_is_reported(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("x = 1\n")
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "a.feature").write_text("Feature: A\n  @tag\n  Scenario: S\n    When x\n")
    assert fault_problems(_fault(features=("features/a.feature:3",)), tmp_path) == []
    assert fault_problems(_fault(features=("features/a.feature:2",)), tmp_path) == [
        "features/a.feature:2: that line starts no scenario or example row (lines move when the file changes)"]


def test_an_entry_without_features_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("- {name: a, area: errors, breaks: b, file: f.py, find: x, replace: y}\n")
    with pytest.raises(CatalogueError, match="missing"):
        load_catalogue(tmp_path)


def test_selection_by_name_and_area() -> None:
    faults = [_fault("a"), _fault("b")]
    assert select(faults, ["b"]) == [faults[1]]
    assert select(faults, area="chat") == []
    with pytest.raises(CatalogueError, match="no fault named c"):
        select(faults, ["c"])


def test_the_control_runs_each_feature_once_and_a_whole_file_covers_its_lines() -> None:
    faults = [_fault("a", features=("features/a.feature:12", "features/b.feature")), _fault("b", features=("features/a.feature",))]
    assert union_of_features(faults) == ["features/a.feature", "features/b.feature"]


def test_the_lines_of_a_file_stay_together_in_order() -> None:
    faults = [_fault("a", features=("features/a.feature:30", "features/b.feature:5")), _fault("b", features=("features/a.feature:4",))]
    assert union_of_features(faults) == ["features/a.feature:4", "features/a.feature:30", "features/b.feature:5"]
